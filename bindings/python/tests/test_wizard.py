"""The registration wizard from Python: resend and back, the default method and the success
screen's methods, "not now" at sign-in, the authenticator app's test notification, and hardware
OATH tokens."""
import pytest

import sspr

T0 = 1_750_000_000
KEYS = [("k1", bytes(range(32)))]
IDENTITY = bytes(range(32, 64))
CHEAP = dict(hash_memory_kib=8, hash_iterations=1)
ALL = ["email", "mobile_phone", "office_phone", "app_code", "app_notification"]
PASSWORD = "Old-Password-1"
SEED = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def setup(policy=None, *, email=None, admin=False):
    mem = sspr.MemoryPorts.for_tests(T0, seed=7, captcha_token="pass")
    mem.directory.add_user(sspr.DirectoryUser("u1", "ann@contoso.example", admin=admin), PASSWORD)
    policy = sspr.Policy.from_dict(policy or {"reset": {"methods": ALL, "methods_required": 1}})
    engine = sspr.Engine(policy, mem.ports(), keys=KEYS, identity_key=IDENTITY, issuer="Contoso", **CHEAP)
    if email:
        engine.import_security_info("u1", email=email)
    return mem, engine


def codes(mem):
    return [m.code for m in mem.notifier.take() if m.code]


def test_resend_replaces_the_code_and_back_goes_one_screen_back():
    policy = {"reset": {"methods": ALL, "methods_required": 1}, "limits": {"resend_cooldown_s": 60}}
    mem, e = setup(policy, email="ann.home@fabrikam.example")
    flow = e.start_registration("ann@contoso.example", PASSWORD).view.flow_id
    assert e.prove(flow, "email").view.state == "proving"
    (first,) = codes(mem)
    # Back from a proof offers the proof again; the code sent for it no longer proves anything.
    r = e.back(flow)
    assert r.rejection is None and r.view.state == "prove_identity" and r.view.proof_option is None
    assert e.verify(flow, first).rejection == "flow.invalid_step"
    mem.clock.advance(60)
    e.prove(flow, "email")
    (proof,) = codes(mem)
    assert e.verify(flow, proof).view.state == "registering"
    r = e.register_office(flow, "+14255550177")
    assert r.view.state == "verifying" and r.view.pending == "office_phone"
    assert r.view.pending_to is not None and r.view.pending_to.endswith("77")
    assert "55501" not in r.view.pending_to
    (old,) = codes(mem)
    mem.clock.advance(20)
    r = e.resend_registration(flow)
    assert (r.rejection, r.retry_after, r.view.state) == ("send.cooldown", 40, "verifying")
    assert codes(mem) == []
    mem.clock.advance(40)
    r = e.resend_registration(flow)
    assert r.rejection is None and r.view.state == "verifying"
    (new,) = codes(mem)
    assert new != old
    assert e.verify(flow, old).rejection == "code.mismatch"  # the earlier code stops working
    r = e.verify(flow, new)
    assert r.rejection is None and r.view.registered == ["email", "office_phone"]
    # "I want to set up a different method": back drops the pending method.
    assert e.register_mobile(flow, "+14255550123").view.pending == "mobile_phone"
    r = e.back(flow)
    assert r.rejection is None and r.view.state == "registering" and r.view.pending is None
    assert r.view.registered == ["email", "office_phone"]
    # Nothing to resend or go back from now.
    assert e.resend_registration(flow).rejection == "flow.invalid_step"
    assert e.back(flow).rejection == "flow.invalid_step"


def test_the_first_method_is_the_default_and_the_success_screen_lists_the_methods():
    mem, e = setup({"reset": {"methods": ALL, "methods_required": 2}})
    r = e.start_registration("ann@contoso.example", PASSWORD)
    flow = r.view.flow_id
    assert r.view.state == "registering" and r.view.default_method is None and r.view.methods == []
    e.register_mobile(flow, "+14255550123")
    (code,) = codes(mem)
    assert e.verify(flow, code).view.default_method == "mobile_phone"
    e.register_email(flow, "ann.home@fabrikam.example")
    (code,) = codes(mem)
    r = e.verify(flow, code)
    assert r.view.default_method == "mobile_phone"
    reset = e.start_reset("ann@contoso.example", "pass").view
    assert reset.options[0].option == "mobile_text"
    r = e.set_default(flow, "email")
    assert r.rejection is None and r.view.default_method == "email"
    assert e.set_default(flow, "office_phone").rejection == "method.invalid"
    assert e.start_reset("ann@contoso.example", "pass").view.options[0].option == "email"
    r = e.finish(flow)
    assert r.rejection is None and r.view.state == "done"
    methods = r.view.methods
    assert all(isinstance(m, sspr.RegisteredMethod) for m in methods)
    assert [(m.method, m.masked, m.default) for m in methods] == [
        ("email", "an******@fabrikam.example", True),
        ("mobile_phone", "+1 XXXXXXXX23", False),
    ]
    assert repr(methods[0]) == 'RegisteredMethod("email", masked="an******@fabrikam.example", default=True)'
    assert "ann.home" not in repr(methods[0]) and "4255550123" not in repr(methods[1])
    d = r.to_dict()["view"]
    assert d["default_method"] == "email"
    assert d["methods"][1] == {"method": "mobile_phone", "masked": "+1 XXXXXXXX23", "default": False}


def test_not_now_at_sign_in():
    mem, e = setup({"reset": {"methods": ["email"], "methods_required": 1}})
    c = e.sign_in_check("ann@contoso.example", PASSWORD)
    assert c.registration_required and c.may_snooze and c.snoozes_left == 3
    assert c.to_dict()["may_snooze"] is True and "may_snooze=True" in repr(c)
    s = e.snooze_registration("ann@contoso.example")
    assert isinstance(s, sspr.SnoozeResult)
    assert (s.rejection, s.snoozed_until, s.snoozes_left, s.warnings) == (None, T0 + 86_400, 2, [])
    assert s.to_dict() == {"rejection": None, "snoozed_until": T0 + 86_400, "snoozes_left": 2, "warnings": []}
    assert repr(s) == f"SnoozeResult(rejection=None, snoozed_until={T0 + 86_400}, snoozes_left=2)"
    assert any(ev["kind"] == "registration_snoozed" for ev in mem.audit.events())
    c = e.sign_in_check("ann@contoso.example", PASSWORD)
    assert not c.registration_required and not c.may_snooze
    assert e.snooze_registration("ann@contoso.example").rejection == "snooze.unavailable"
    mem.clock.advance(86_400)
    c = e.sign_in_check("ann@contoso.example", PASSWORD)
    assert c.registration_required and c.may_snooze and c.snoozes_left == 2
    # The host snoozes the user it signed in: a name not in the directory is an input error.
    assert e.sign_in_check("ann@contoso.example", "wrong").rejection == "reauth.failed"
    with pytest.raises(sspr.InputError):
        e.snooze_registration("nobody@contoso.example")


def test_without_a_limit_and_never_for_administrators():
    _, e = setup({"reset": {"methods": ["email"]}, "registration": {"snooze_days": 14, "snoozes": 0}})
    c = e.sign_in_check("ann@contoso.example", PASSWORD)
    assert c.may_snooze and c.snoozes_left is None
    s = e.snooze_registration("ann@contoso.example")
    assert s.rejection is None and s.snoozes_left is None and s.snoozed_until == T0 + 14 * 86_400
    _, admin = setup(admin=True)
    c = admin.sign_in_check("ann@contoso.example", PASSWORD)
    assert c.registration_required and not c.may_snooze and c.snoozes_left == 0
    assert admin.snooze_registration("ann@contoso.example").rejection == "snooze.unavailable"


def test_the_app_confirmed_by_a_test_notification():
    mem, e = setup()
    flow = e.start_registration("ann@contoso.example", PASSWORD).view.flow_id
    assert e.test_push(flow).rejection == "flow.invalid_step"  # no app being set up
    r = e.register_app(flow, "device-9")
    assert r.view.state == "verifying" and r.view.approval_number is None
    r = e.test_push(flow)
    assert r.rejection is None and r.view.state == "verifying"
    shown = r.view.approval_number
    assert shown is not None and 10 <= shown <= 99
    (push,) = mem.notifier.take()
    assert (push.channel, push.kind, push.to) == ("push", "approval_request", "device-9")
    wrong = 10 if shown >= 99 else shown + 1
    r = e.approve_proof(flow, push.approval_request_id, wrong)
    assert r.rejection == "push.number_mismatch" and r.view.state == "verifying"
    r = e.approve_proof(flow, push.approval_request_id, shown)
    assert r.rejection is None and r.view.state == "registering"
    assert sorted(r.view.registered) == ["app_code", "app_notification"]
    assert r.view.default_method == "app_notification"


def test_a_denied_test_notification_registers_nothing():
    mem, e = setup()
    flow = e.start_registration("ann@contoso.example", PASSWORD).view.flow_id
    e.register_app(flow)
    e.test_push(flow)
    (push,) = mem.notifier.take()
    r = e.approve_proof(flow, push.approval_request_id, 10, approve=False)
    assert r.rejection == "push.denied" and r.view.registered == []


def test_a_hardware_token_is_imported_then_activated_with_a_current_code():
    mem, e = setup()
    e.import_hardware_token("u1", "admin bob", "HW-0001", SEED, algorithm="SHA256", digits=8, period=60)
    (event,) = [ev for ev in mem.audit.events() if ev["kind"] == "hardware_token_imported"]
    assert event["actor"] == "admin bob" and SEED not in str(event)
    # The same serial twice, bad parameters, an unknown user: input errors, nothing stored.
    with pytest.raises(sspr.InputError):
        e.import_hardware_token("u1", "admin bob", "HW-0001", SEED, algorithm="SHA256", digits=8, period=60)
    for bad in [dict(digits=7), dict(period=45), dict(algorithm="SHA512"), dict(algorithm="MD5")]:
        with pytest.raises(sspr.InputError):
            e.import_hardware_token("u1", "admin bob", "HW-0002", SEED, **bad)
    with pytest.raises(sspr.InputError):
        e.import_hardware_token("u1", "admin bob", "HW-0003", "not base32!")
    with pytest.raises(sspr.InputError):
        e.import_hardware_token("nobody", "admin bob", "HW-0004", SEED)
    # An inactive token is not a registered method yet.
    assert e.sign_in_check("ann@contoso.example", PASSWORD).registration_required
    r = e.start_registration("ann@contoso.example", PASSWORD)
    flow = r.view.flow_id
    assert r.view.state == "registering" and r.view.registered == []

    def token_code():
        return sspr.totp_code(SEED, mem.clock.now(), algorithm="SHA256", digits=8, period=60)

    assert e.activate_token(flow, "HW-0002", token_code()).rejection == "method.invalid"
    wrong = token_code()[:-1] + str((int(token_code()[-1]) + 1) % 10)
    assert e.activate_token(flow, "HW-0001", wrong).rejection is not None
    r = e.activate_token(flow, "HW-0001", token_code())
    assert r.rejection is None and r.view.registered == ["app_code"] and r.view.default_method == "app_code"
    assert e.finish(flow).view.state == "done"
    mem.clock.advance(120)
    reset = e.start_reset("ann@contoso.example", "pass").view
    assert [o.option for o in reset.options] == ["app_code"]
    assert e.choose(reset.flow_id, "app_code").view.state == "enter_code"
    assert e.enter_code(reset.flow_id, token_code()).view.state == "new_password"
