"""The objects sspr calls back into, as `typing.Protocol` classes."""
from typing import Iterable, Protocol, Tuple


class BreachChecker(Protocol):
    """A breached-password service answering k-anonymity range queries: every known SHA-1
    (upper-case hex) that starts with `prefix` (five characters), as `(suffix, count)` pairs.
    Raising means "unknown"; `evaluate_password(..., fail_closed=...)` decides what follows."""

    def range(self, prefix: str) -> Iterable[Tuple[str, int]]: ...
