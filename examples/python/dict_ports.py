"""Every sspr port written in plain Python over dicts, guarded by one lock.

This is what a host writes to put sspr on its own storage: swap the dicts for database tables
and keep the same atomicity (compare-and-set on `save`, atomic `increment`, consume-once).
"""
import os
import threading
import time
from typing import Any, Dict, List, Optional, Tuple

import sspr


class Directory:
    """The user directory: users, passwords (kept as argon2 hashes) and their history."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.users: Dict[str, sspr.DirectoryUser] = {}
        self.password_hash: Dict[str, str] = {}
        self.history: Dict[str, List[str]] = {}
        self.applied_changes: set[str] = set()
        self.locked: set[str] = set()
        self.revoked: Dict[str, int] = {}

    def add(self, user: sspr.DirectoryUser, password: str) -> None:
        with self.lock:
            self.users[user.id] = user
            phc = sspr.hash_secret(password, memory_kib=8, iterations=1)
            self.password_hash[user.id] = phc
            self.history[user.id] = [phc]

    def find_user(self, identifier: str) -> Optional[sspr.DirectoryUser]:
        wanted = identifier.lower()
        return next((u for u in self.users.values() if u.username.lower() == wanted), None)

    def user(self, user_id: str) -> Optional[sspr.DirectoryUser]:
        return self.users.get(user_id)

    def administrators(self) -> List[sspr.DirectoryUser]:
        return [u for u in self.users.values() if u.admin]

    def check_password(self, user_id: str, password: str) -> bool:
        phc = self.password_hash.get(user_id)
        return phc is not None and sspr.verify_secret(password, phc)

    def set_password(self, user_id: str, change: sspr.PasswordChange) -> None:
        with self.lock:
            if change.change_id in self.applied_changes:
                return  # a retry of a change already applied
            self.password_hash[user_id] = sspr.hash_secret(change.password, memory_kib=8, iterations=1)
            self.history[user_id].insert(0, change.history_hash)
            self.applied_changes.add(change.change_id)

    def password_history(self, user_id: str, limit: int) -> List[str]:
        return self.history.get(user_id, [])[:limit]

    def unlock(self, user_id: str) -> None:
        self.locked.discard(user_id)

    def revoke_sessions(self, user_id: str) -> None:
        self.revoked[user_id] = self.revoked.get(user_id, 0) + 1


class RecordStore:
    """Versioned records with compare-and-set: serves as flow store and security-info store."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.records: Dict[str, Tuple[str, int]] = {}

    def load(self, key: str) -> Optional[sspr.Record]:
        with self.lock:
            found = self.records.get(key)
        return sspr.Record(*found) if found else None

    def save(self, key: str, data: str, expected_version: int, expires_at: int = 0) -> None:
        with self.lock:
            current = self.records.get(key, ("", 0))[1]
            if current != expected_version:
                raise sspr.ConflictError("the record changed since it was read")
            self.records[key] = (data, expected_version + 1)

    def delete(self, key: str) -> None:
        with self.lock:
            self.records.pop(key, None)


class Counters:
    """Fixed-window counters and blocks."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.windows: Dict[str, Tuple[int, int, int]] = {}  # key -> (start, end, count)
        self.blocks: Dict[str, int] = {}

    def _state(self, key: str, now: int) -> Tuple[int, Optional[int]]:
        start, end, count = self.windows.get(key, (0, 0, 0))
        until = self.blocks.get(key)
        return (count if start <= now < end else 0, until if until is not None and until > now else None)

    def increment(self, key: str, now: int, window_s: int) -> Tuple[int, Optional[int]]:
        with self.lock:
            start, end, count = self.windows.get(key, (now, now + window_s, 0))
            if now >= end:
                start, end, count = now, now + window_s, 0
            self.windows[key] = (start, end, count + 1)
            return self._state(key, now)

    def get(self, key: str, now: int) -> Tuple[int, Optional[int]]:
        with self.lock:
            return self._state(key, now)

    def release(self, key: str, now: int) -> None:
        with self.lock:
            start, end, count = self.windows.get(key, (0, 0, 0))
            if start <= now < end and count > 0:
                self.windows[key] = (start, end, count - 1)

    def block(self, key: str, until: int) -> int:
        with self.lock:
            self.blocks[key] = max(until, self.blocks.get(key, 0))
            return self.blocks[key]

    def clear(self, key: str) -> None:
        with self.lock:
            self.windows.pop(key, None)
            self.blocks.pop(key, None)


class ConsumeOnce:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.used: set[tuple[str, str]] = set()

    def consume(self, namespace: str, key: str, expires_at: int) -> bool:
        with self.lock:
            if (namespace, key) in self.used:
                return False
            self.used.add((namespace, key))
            return True


class Outbox:
    """The notifier: a host would render a template per `kind` and send it."""

    def __init__(self) -> None:
        self.sent: List[sspr.Message] = []

    def deliver(self, message: sspr.Message) -> None:
        self.sent.append(message)


class Captcha:
    def verify(self, response: str, client: Optional[str]) -> bool:
        return response == "solved"


class Clock:
    """Wall-clock time, or a fixed time a test moves."""

    def __init__(self, fixed: Optional[int] = None) -> None:
        self.fixed = fixed

    def now(self) -> int:
        return self.fixed if self.fixed is not None else int(time.time())


class Randomness:
    def bytes(self, n: int) -> bytes:
        return os.urandom(n)


class AuditLog:
    def __init__(self) -> None:
        self.events: List[Dict[str, Any]] = []

    def record(self, event: Dict[str, Any]) -> None:
        self.events.append(event)


class HostPorts:
    """All the ports together, and `sspr.Ports` built from them."""

    def __init__(self, now: Optional[int] = None) -> None:
        self.directory = Directory()
        self.security_info = RecordStore()
        self.flows = RecordStore()
        self.counters = Counters()
        self.consume_once = ConsumeOnce()
        self.outbox = Outbox()
        self.captcha = Captcha()
        self.clock = Clock(now)
        self.randomness = Randomness()
        self.audit = AuditLog()

    def ports(self) -> sspr.Ports:
        return sspr.Ports(
            directory=self.directory,
            security_info=self.security_info,
            flows=self.flows,
            counters=self.counters,
            consume_once=self.consume_once,
            notifier=self.outbox,
            captcha=self.captcha,
            clock=self.clock,
            randomness=self.randomness,
            audit=self.audit,
        )
