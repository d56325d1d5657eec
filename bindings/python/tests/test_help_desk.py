"""The help desk and a known password's change from Python: temporary passwords, access passes,
unblocking, replacing the policy, and tenants sharing one set of stores."""
import pytest

import sspr

T0 = 1_750_000_000
KEYS = [("k1", bytes(range(32)))]
IDENTITY = bytes(range(32, 64))
CHEAP = dict(hash_memory_kib=8, hash_iterations=1)
POLICY = sspr.Policy.from_dict({"reset": {"methods": ["email", "mobile_phone"], "methods_required": 1}})


def engine_on(mem: sspr.MemoryPorts, policy: sspr.Policy = POLICY, tenant: "str | None" = None) -> sspr.Engine:
    e = sspr.Engine(policy, mem.ports(), keys=KEYS, identity_key=IDENTITY, issuer="Contoso", tenant=tenant, **CHEAP)
    return e


def setup(policy: sspr.Policy = POLICY) -> "tuple[sspr.MemoryPorts, sspr.Engine]":
    mem = sspr.MemoryPorts.for_tests(T0, seed=5, captcha_token="pass")
    mem.directory.add_user(sspr.DirectoryUser("u1", "ann@contoso.example", first_name="Ann"), "Old-Password-1")
    e = engine_on(mem, policy)
    e.import_security_info("u1", email="ann.home@fabrikam.example")
    return mem, e


def test_a_known_password_is_changed_and_wrong_old_ones_refused():
    mem, e = setup()
    r = e.change_password("ann@contoso.example", "not-it", "Granite-Orchid-Velvet-8")
    assert (r.changed, r.rejection) == (False, "reauth.failed")
    r = e.change_password("ann@contoso.example", "Old-Password-1", "short")
    assert r.rejection == "password.too_short" and r.password is not None
    r = e.change_password("ann@contoso.example", "Old-Password-1", "Granite-Orchid-Velvet-8")
    assert r.changed and r.rejection is None
    assert mem.directory.password_matches("u1", "Granite-Orchid-Velvet-8")
    told = sorted(m.to for m in mem.notifier.take() if m.kind == "password_changed")
    assert told == ["ann.home@fabrikam.example", "ann@contoso.example"]


def test_the_directory_refusing_a_password_is_an_outcome():
    mem, e = setup()
    mem.directory.refuse_password("Granite-Orchid-Velvet-8")
    r = e.change_password("ann@contoso.example", "Old-Password-1", "Granite-Orchid-Velvet-8")
    assert r.rejection == "password.refused"
    assert mem.directory.password_matches("u1", "Old-Password-1")


def test_a_help_desk_temporary_password_must_be_changed():
    mem, e = setup()
    t = e.reset_password_by_help_desk("u1", "agent-7")
    assert t.must_change and mem.directory.must_change_password("u1")
    assert mem.directory.password_matches("u1", t.password)
    assert t.password not in repr(t)
    events = mem.audit.events()
    assert any(ev["kind"] == "temporary_password_set" and ev["actor"] == "agent-7" for ev in events)
    with pytest.raises(sspr.InputError) as err:
        e.reset_password_by_help_desk("u1", "")
    assert err.value.what == "actor"


def test_an_access_pass_proves_identity_once():
    mem, e = setup()
    p = e.issue_access_pass("u1", "agent-7", 3600, one_time=True)
    assert p.pass_ not in repr(p)
    r = e.start_registration("ann@contoso.example", "Old-Password-1")
    flow = r.view.flow_id
    assert r.view.state == "prove_identity"
    assert e.access_pass(flow, "0000-0000-0000-0000").rejection == "access_pass.invalid"
    assert e.access_pass(flow, p.pass_.lower()).view.state == "registering"
    again = e.start_registration("ann@contoso.example", "Old-Password-1").view.flow_id
    assert e.access_pass(again, p.pass_).rejection == "access_pass.invalid"
    with pytest.raises(sspr.InputError):
        e.issue_access_pass("u1", "agent-7", 599)


def test_replacing_the_policy_returns_and_audits_the_changed_fields():
    mem, e = setup()
    two = sspr.Policy.from_dict({"reset": {"methods": ["email", "mobile_phone"], "methods_required": 2}})
    assert e.replace_policy(two, "admin-2") == ["reset.methods_required"]
    assert e.policy.to_dict()["reset"]["methods_required"] == 2
    ev = [ev for ev in mem.audit.events() if ev["kind"] == "policy_changed"][-1]
    assert ev["actor"] == "admin-2" and ev["changed"] == ["reset.methods_required"]


def test_tenants_sharing_stores_see_nothing_of_each_other():
    mem = sspr.MemoryPorts.for_tests(T0, seed=5, captcha_token="pass")
    mem.directory.add_user(sspr.DirectoryUser("u1", "ann@contoso.example"), "Old-Password-1")
    contoso = engine_on(mem, tenant="contoso")
    fabrikam = engine_on(mem, tenant="fabrikam")
    contoso.import_security_info("u1", email="ann.home@fabrikam.example")
    flow = contoso.start_reset("ann@contoso.example", "pass").view.flow_id
    with pytest.raises(sspr.FlowNotFoundError):
        fabrikam.choose(flow, "email")
    f = fabrikam.start_reset("ann@contoso.example", "pass").view
    fabrikam.choose(f.flow_id, f.options[0].option)
    assert mem.notifier.take() == []  # Fabrikam's u1 has nothing registered
    with pytest.raises(sspr.MisuseError):
        engine_on(mem, tenant="Not A Tenant")
