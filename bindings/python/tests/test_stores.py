"""Stores from Python: SQLite in a file mixed into the ports, and the store conformance suite
run on built-in stores and on stores written in Python."""
import json
import sys
import threading
from pathlib import Path

import pytest

import sspr

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "examples" / "python"))
from dict_ports import HostPorts, RecordStore  # noqa: E402

T0 = 1_750_000_000
KEYS = [("k1", bytes(range(32)))]
IDENTITY = bytes(range(32, 64))
CHEAP = dict(hash_memory_kib=8, hash_iterations=1)
POLICY = sspr.Policy.from_dict({"reset": {"methods": ["email", "mobile_phone"], "methods_required": 1}})


def engine_on(path, mem):
    stores = sspr.SqliteStores(path, clock=mem.clock)
    engine = sspr.Engine(POLICY, mem.ports(**stores.stores()), keys=KEYS, identity_key=IDENTITY,
                         issuer="Contoso", **CHEAP)
    return stores, engine


def test_a_reset_on_sqlite_survives_a_restart(tmp_path):
    mem = sspr.MemoryPorts.for_tests(T0, seed=1, captcha_token="pass")
    mem.directory.add_user(sspr.DirectoryUser("u1", "ann@contoso.example", first_name="Ann"), "Old-Password-1")
    stores, engine = engine_on(tmp_path / "sspr.db", mem)
    assert stores.schema_version == 1
    engine.import_security_info("u1", email="ann.home@fabrikam.example")
    flow = engine.start_reset("ann@contoso.example", "pass").view.flow_id
    engine.choose(flow, "email")
    # Another process (here: a second engine on the same file) carries the flow on.
    _, other = engine_on(tmp_path / "sspr.db", mem)
    code = mem.notifier.take()[0].code
    assert other.enter_code(flow, code).view.state == "new_password"
    assert other.new_password(flow, "Granite-Orchid-Velvet-8").view.state == "completed"
    events = [json.loads(e) for e in stores.audit_events(50)]
    assert events[0]["kind"] == "password_changed"
    assert all(flow not in json.dumps(e) for e in events)
    mem.clock.advance(3 * 86_400)
    assert stores.purge()["flows"] >= 1


def test_bad_prefixes_and_mismatched_slots_are_refused(tmp_path):
    with pytest.raises(sspr.MisuseError):
        sspr.SqliteStores(tmp_path / "x.db", prefix="x; DROP TABLE y")
    stores = sspr.SqliteStores(tmp_path / "x.db")
    mem = sspr.MemoryPorts.for_tests(T0, captcha_token="pass")
    with pytest.raises(sspr.MisuseError):
        mem.ports(flows=stores.counters)
    assert repr(stores.flows) == "Store(flow store)"


def test_check_stores_passes_built_in_and_python_stores(tmp_path):
    stores = sspr.SqliteStores(tmp_path / "c.db")
    report = sspr.check_stores(flows=stores.flows, security_info=stores.security_info,
                               counters=stores.counters, consume_once=stores.consume_once, threads=8)
    assert len(report) >= 14 and all(failure is None for _, failure in report), report
    host = HostPorts(now=T0)
    report = sspr.check_stores(flows=host.flows, security_info=host.security_info,
                               counters=host.counters, consume_once=host.consume_once, threads=4)
    assert all(failure is None for _, failure in report), report


class LosesUpdates(RecordStore):
    """A compare-and-set that checks the version outside its lock: updates get lost."""

    def save(self, key, data, expected_version, expires_at=0):
        current = self.records.get(key, ("", 0))[1]
        if current != expected_version:
            raise sspr.ConflictError("changed")
        threading.Event().wait(0.001)
        self.records[key] = (data, expected_version + 1)


def test_check_stores_finds_a_broken_python_store():
    host = HostPorts(now=T0)
    report = dict(sspr.check_stores(flows=LosesUpdates(), security_info=host.security_info,
                                    counters=host.counters, consume_once=host.consume_once, threads=8))
    failed = [name for name, failure in report.items() if failure is not None]
    assert failed and all("flow" in name or "cas" in name for name in failed), report
