"""The objects sspr calls back into, as `typing.Protocol` classes.

Every method is called synchronously from the thread that called the engine (a worker thread
when an asyncio host calls the engine through ``asyncio.to_thread``), with the GIL held only
for that call: implementations must be thread-safe and must not wait on the event loop's own
thread. Raising any exception means "this port failed": the engine keeps the flow as it was and
raises :class:`sspr.PortError` with your exception as ``__cause__``. A store's ``save`` raises
:class:`sspr.ConflictError` when the compare-and-set loses; the engine then reloads and retries.
"""
from typing import Any, Dict, Iterable, List, Optional, Protocol, Tuple

from ._sspr import DirectoryUser, Message, PasswordChange, Record


class BreachChecker(Protocol):
    """A breached-password service answering k-anonymity range queries: every known SHA-1
    (upper-case hex) that starts with `prefix` (five characters), as `(suffix, count)` pairs.
    Raising means "unknown"; the engine's or `evaluate_password`'s `fail_closed` setting decides
    what follows."""

    def range(self, prefix: str) -> Iterable[Tuple[str, int]]: ...


class Directory(Protocol):
    """The host's user directory."""

    def find_user(self, identifier: str) -> Optional[DirectoryUser]:
        """The user whose sign-in name matches `identifier` (already trimmed), ignoring case."""
        ...

    def user(self, user_id: str) -> Optional[DirectoryUser]:
        """The user with this id, or None."""
        ...

    def administrators(self) -> List[DirectoryUser]:
        """Every administrator (told when another administrator resets)."""
        ...

    def check_password(self, user_id: str, password: str) -> bool:
        """Whether `password` is the user's current password (re-authentication)."""
        ...

    def set_password(self, user_id: str, change: PasswordChange) -> None:
        """Sets the password and appends `change.history_hash` to the history, atomically.
        Idempotent per `change.change_id`. When `change.must_change` is true (a temporary
        password a help desk set), the user must change it at the next sign-in."""
        ...

    def password_history(self, user_id: str, limit: int) -> List[str]:
        """Up to `limit` argon2 PHC hashes of earlier passwords, newest first."""
        ...

    def unlock(self, user_id: str) -> None:
        """Clears a sign-in lockout. Idempotent."""
        ...

    def revoke_sessions(self, user_id: str) -> None:
        """Signs the user out everywhere. Idempotent."""
        ...


class SecurityInfoStore(Protocol):
    """Each user's security info record, with compare-and-set."""

    def load(self, user_id: str) -> Optional[Record]: ...

    def save(self, user_id: str, data: str, expected_version: int) -> None:
        """Stores `data` as version `expected_version + 1` if and only if the current version
        is `expected_version` (0: no record yet); otherwise raises ConflictError and changes
        nothing."""
        ...


class FlowStore(Protocol):
    """Persisted flows, with compare-and-set."""

    def load(self, flow_id: str) -> Optional[Record]: ...

    def save(self, flow_id: str, data: str, expected_version: int, expires_at: int) -> None:
        """Compare-and-set as `SecurityInfoStore.save`; the record may be dropped after
        `expires_at` (Unix seconds)."""
        ...

    def delete(self, flow_id: str) -> None: ...


class CounterStore(Protocol):
    """Throttle counters and blocks. Keys never hold an address or number in clear. sspr counts
    every attempt with `increment` *before* it compares anything, so these calls are what holds
    a limit across processes: each must be atomic on its key."""

    def increment(self, key: str, now: int, window_s: int) -> Tuple[int, Optional[int]]:
        """Atomically adds one and returns `(count, blocked_until)`: the new count and the end
        of any block in force at `now`. A counter lives in a fixed window that opens at the
        first increment and lasts `window_s` seconds; an increment at or after its end starts a
        new window at 1. Concurrent increments are never lost."""
        ...

    def get(self, key: str, now: int) -> Tuple[int, Optional[int]]:
        """`(count, blocked_until)` at `now`, read-only: the count of the open window (0 if
        none) and the end of any block in force."""
        ...

    def release(self, key: str, now: int) -> None:
        """Atomically takes back one increment of the window open at `now` (an attempt that was
        right), never below 0; nothing when no window is open."""
        ...

    def block(self, key: str, until: int) -> int:
        """Blocks the key until `until` (keeping a later block; `2**64 - 1` locks it until
        cleared); returns the block's end."""
        ...

    def clear(self, key: str) -> None:
        """Removes the counter and any block. Idempotent."""
        ...


class ConsumeOnceSet(Protocol):
    """Consume-once markers (redeemed "this wasn't me" tokens; values not bound to one flow)."""

    def consume(self, namespace: str, key: str, expires_at: int) -> bool:
        """True for exactly one caller per (namespace, key), even under races."""
        ...


class Notifier(Protocol):
    """Delivers messages by email, text, voice and push."""

    def deliver(self, message: Message) -> None: ...


class CaptchaVerifier(Protocol):
    def verify(self, response: str, client: Optional[str]) -> bool: ...


class AuditSink(Protocol):
    def record(self, event: Dict[str, Any]) -> None: ...


class Clock(Protocol):
    def now(self) -> int:
        """Unix seconds."""
        ...


class Randomness(Protocol):
    def bytes(self, n: int) -> bytes:
        """`n` bytes from a CSPRNG (`os.urandom`)."""
        ...
