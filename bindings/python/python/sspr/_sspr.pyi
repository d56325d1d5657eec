from typing import Any, Optional, Sequence, final

from sspr.protocols import BreachChecker

__all__ = [
    "InputError",
    "MisuseError",
    "PasswordVerdict",
    "Policy",
    "PolicyError",
    "PortError",
    "SsprError",
    "TotpResult",
    "__version__",
    "evaluate_password",
    "hash_secret",
    "hotp",
    "totp_code",
    "verify_secret",
    "verify_totp",
]
__version__: str

class SsprError(Exception): ...
class PolicyError(SsprError):
    field: str
class InputError(SsprError): ...
class MisuseError(SsprError): ...
class PortError(SsprError): ...

@final
class Policy:
    def __init__(self) -> None: ...
    @staticmethod
    def from_toml(text: str) -> Policy: ...
    @staticmethod
    def from_json(text: str) -> Policy: ...
    @staticmethod
    def parse(text: str) -> Policy: ...
    @staticmethod
    def from_dict(document: Any) -> Policy: ...
    def to_json(self) -> str: ...
    def to_dict(self) -> Any: ...
    def to_toml(self) -> str: ...

@final
class PasswordVerdict:
    @property
    def accepted(self) -> bool: ...
    @property
    def reasons(self) -> list[str]: ...
    @property
    def length(self) -> int: ...
    @property
    def classes(self) -> int: ...
    @property
    def banned_score(self) -> Optional[int]: ...
    @property
    def guesses_log10(self) -> Optional[float]: ...
    @property
    def meter(self) -> int: ...
    @property
    def warning(self) -> Optional[str]: ...
    @property
    def suggestions(self) -> list[str]: ...
    @property
    def breach(self) -> str: ...

@final
class TotpResult:
    @property
    def valid(self) -> bool: ...
    @property
    def step(self) -> Optional[int]: ...
    @property
    def reason(self) -> Optional[str]: ...

def evaluate_password(
    policy: Policy,
    password: str,
    confirm: Optional[str] = None,
    *,
    username: str = "",
    first_name: str = "",
    last_name: str = "",
    org_name: str = "",
    history: Sequence[str] = ...,
    breach_checker: Optional[BreachChecker] = None,
    fail_closed: bool = False,
) -> PasswordVerdict: ...
def hash_secret(secret: str, *, memory_kib: int = 19456, iterations: int = 2, parallelism: int = 1) -> str: ...
def verify_secret(secret: str, phc: str) -> bool: ...
def hotp(secret_b32: str, counter: int, *, algorithm: str = "SHA1", digits: int = 6) -> str: ...
def totp_code(secret_b32: str, t: int, *, algorithm: str = "SHA1", digits: int = 6, period: int = 30) -> str: ...
def verify_totp(
    secret_b32: str,
    code: str,
    t: int,
    *,
    algorithm: str = "SHA1",
    digits: int = 6,
    period: int = 30,
    skew: int = 1,
    last_step: Optional[int] = None,
) -> TotpResult: ...
