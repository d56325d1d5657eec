"""sspr: self-service password reset as Microsoft Entra ID does it.

This package exposes sspr's policy document, password rules (length, classes, Entra
banned-password scoring, bounded-time guessability, history, breaches), one-time passwords and
argon2id hashing. Errors are subclasses of :class:`SsprError`.
"""

from .protocols import BreachChecker
from ._sspr import (
    InputError,
    MisuseError,
    PasswordVerdict,
    Policy,
    PolicyError,
    PortError,
    SsprError,
    Totp,
    TotpResult,
    __version__,
    evaluate_password,
    hash_secret,
    hotp,
    totp_code,
    verify_secret,
    verify_totp,
)

__all__ = [
    "BreachChecker",
    "InputError",
    "MisuseError",
    "PasswordVerdict",
    "Policy",
    "PolicyError",
    "PortError",
    "SsprError",
    "Totp",
    "TotpResult",
    "__version__",
    "evaluate_password",
    "hash_secret",
    "hotp",
    "totp_code",
    "verify_secret",
    "verify_totp",
]
