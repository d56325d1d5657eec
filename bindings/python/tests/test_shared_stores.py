"""PostgreSQL and Redis stores from Python, on throwaway servers the tests start and stop: a
reset carried on by a second engine (another instance), the store conformance suite at 8
threads, prefixes keeping tenants apart, and the typed errors of bad settings and of a server
that is not there."""
import json

import pytest

import sspr
from servers import postgres_server, redis_server

T0 = 1_750_000_000
KEYS = [("k1", bytes(range(32)))]
IDENTITY = bytes(range(32, 64))
CHEAP = dict(hash_memory_kib=8, hash_iterations=1)
POLICY = sspr.Policy.from_dict({"reset": {"methods": ["email", "mobile_phone"], "methods_required": 1}})


@pytest.fixture(scope="module", params=["postgres", "redis"])
def backend(request):
    if request.param == "postgres":
        with postgres_server() as url:
            yield sspr.PostgresStores, url
    else:
        with redis_server() as url:
            yield sspr.RedisStores, url


def test_a_reset_is_carried_on_by_another_instance(backend):
    cls, url = backend
    mem = sspr.MemoryPorts.for_tests(T0, seed=1, captcha_token="pass")
    mem.directory.add_user(sspr.DirectoryUser("u1", "ann@contoso.example", first_name="Ann"), "Old-Password-1")

    def instance():
        stores = cls(url, prefix="reset_", clock=mem.clock, pool_size=2)
        engine = sspr.Engine(POLICY, mem.ports(**stores.stores()), keys=KEYS, identity_key=IDENTITY,
                             issuer="Contoso", **CHEAP)
        return stores, engine

    stores, first = instance()
    assert isinstance(stores, sspr.Stores) and stores.schema_version == 1
    first.import_security_info("u1", email="ann.home@fabrikam.example")
    flow = first.start_reset("ann@contoso.example", "pass").view.flow_id
    first.choose(flow, "email")
    _, second = instance()
    code = mem.notifier.take()[0].code
    assert second.enter_code(flow, code).view.state == "new_password"
    assert second.new_password(flow, "Granite-Orchid-Velvet-8").view.state == "completed"
    events = [json.loads(e) for e in stores.audit_events(50)]
    assert events[0]["kind"] == "password_changed"
    assert all(flow not in json.dumps(e) and "ann.home@fabrikam.example" not in json.dumps(e) for e in events)
    assert set(stores.purge()) == {"flows", "consumed", "counters"}


def test_the_built_in_stores_pass_the_store_conformance_suite(backend):
    cls, url = backend
    stores = cls(url, prefix="conf_", pool_size=10)
    results = sspr.check_stores(flows=stores.flows, security_info=stores.security_info,
                                counters=stores.counters, consume_once=stores.consume_once, threads=8)
    assert len(results) >= 14
    assert [r for r in results if r[1] is not None] == []


def test_prefixes_keep_tenants_apart(backend):
    cls, url = backend
    mem = sspr.MemoryPorts.for_tests(T0, seed=2, captcha_token="pass")
    mem.directory.add_user(sspr.DirectoryUser("u2", "bo@contoso.example"), "Old-Password-1")
    a = sspr.Engine(POLICY, mem.ports(**cls(url, prefix="tenant_a_", clock=mem.clock).stores()),
                    keys=KEYS, identity_key=IDENTITY, issuer="Contoso", **CHEAP)
    b = sspr.Engine(POLICY, mem.ports(**cls(url, prefix="tenant_b_", clock=mem.clock).stores()),
                    keys=KEYS, identity_key=IDENTITY, issuer="Contoso", **CHEAP)
    a.import_security_info("u2", email="bo.home@fabrikam.example")
    flow = a.start_reset("bo@contoso.example", "pass").view.flow_id
    with pytest.raises(sspr.SsprError):
        b.choose(flow, "email")
    assert a.choose(flow, "email").view.state == "enter_code"


def test_bad_settings_and_an_absent_server_are_typed_errors(backend):
    cls, url = backend
    with pytest.raises(sspr.MisuseError):
        cls(url, prefix="Bad-Prefix")
    with pytest.raises(sspr.MisuseError):
        cls(url, timeout_s=0)
    with pytest.raises(sspr.PortError):
        cls("not a url at all ://", timeout_s=0.5)
    absent = "redis://127.0.0.1:1/0" if cls is sspr.RedisStores else "host=127.0.0.1 port=1 user=sspr"
    with pytest.raises(sspr.PortError) as e:
        cls(absent, timeout_s=0.5)
    assert "127.0.0.1" not in str(e.value) or cls is sspr.PostgresStores
