"""The engine from Python: ports written in Python, built-in ports, failing ports and bad input."""
import sys
import threading
from pathlib import Path

import pytest

import sspr

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "examples" / "python"))
from dict_ports import HostPorts  # noqa: E402

T0 = 1_750_000_000
KEYS = [("k1", bytes(range(32)))]
IDENTITY = bytes(range(32, 64))
CHEAP = dict(hash_memory_kib=8, hash_iterations=1)
POLICY = sspr.Policy.from_dict({"reset": {"methods": ["email", "mobile_phone"], "methods_required": 1}})


def python_host():
    host = HostPorts(now=T0)
    host.directory.add(sspr.DirectoryUser("u1", "ann@contoso.example", first_name="Ann", org_name="Contoso"), "Old-Password-1")
    engine = sspr.Engine(POLICY, host.ports(), keys=KEYS, identity_key=IDENTITY, issuer="Contoso", **CHEAP)
    engine.import_security_info("u1", email="ann.home@fabrikam.example")
    return host, engine


def test_reset_through_python_ports_changes_the_password_once():
    host, engine = python_host()
    r = engine.start_reset("ANN@contoso.example", "solved")
    assert r.rejection is None and r.view.state == "choose_method"
    assert [o.option for o in r.view.options] == ["email"]
    assert r.view.options[0].masked == "an******@fabrikam.example"
    flow = r.view.flow_id
    r = engine.choose(flow, "email")
    assert r.view.state == "enter_code"
    (msg,) = host.outbox.sent
    assert (msg.channel, msg.kind, msg.to, msg.user) == ("email", "code", "ann.home@fabrikam.example", "u1")
    wrong = msg.code[:-1] + str((int(msg.code[-1]) + 1) % 10)
    assert engine.enter_code(flow, wrong).rejection == "code.mismatch"
    r = engine.enter_code(flow, msg.code)
    assert r.view.state == "new_password"
    assert engine.enter_code(flow, msg.code).rejection == "flow.invalid_step"  # single use
    r = engine.new_password(flow, "Granite-Orchid-Velvet-8")
    assert r.view.state == "completed" and r.password.accepted
    assert host.directory.check_password("u1", "Granite-Orchid-Velvet-8")
    assert len(host.directory.history["u1"]) == 2
    kinds = sorted((m.to, m.kind) for m in host.outbox.sent[1:])
    assert kinds == [("ann.home@fabrikam.example", "password_changed"), ("ann@contoso.example", "password_changed")]
    assert [e["kind"] for e in host.audit.events][-1] == "password_changed"
    assert engine.reset_view(flow).state == "completed"


def test_unknown_user_gets_a_decoy_through_python_ports():
    host, engine = python_host()
    r = engine.start_reset("nobody@contoso.example", "solved")
    assert r.view.state == "choose_method" and r.view.options
    chosen = engine.choose(r.view.flow_id, r.view.options[0].option)
    if chosen.view.state == "confirm_number":  # a phone first: the whole number is typed first
        engine.confirm_number(r.view.flow_id, "+14255550123")
    assert engine.reset_view(r.view.flow_id).state == "enter_code"
    assert host.outbox.sent == []
    assert engine.enter_code(r.view.flow_id, "12345678").rejection == "code.mismatch"


class Boom(Exception):
    pass


def test_an_exception_in_a_port_is_a_port_error_and_loses_nothing():
    host, engine = python_host()
    flow = engine.start_reset("ann@contoso.example", "solved").view.flow_id
    original = host.outbox.deliver
    calls = []

    def failing(message):
        calls.append(message.id)
        raise Boom("smtp down")

    host.outbox.deliver = failing
    with pytest.raises(sspr.PortError) as e:
        engine.choose(flow, "email")
    assert isinstance(e.value.__cause__, Boom)
    assert "Boom" in str(e.value) and "fabrikam" not in str(e.value)
    assert (e.value.port, e.value.kind) == ("notifier", "unavailable")
    assert engine.reset_view(flow).state == "choose_method"  # the flow is as it was
    host.outbox.deliver = original
    assert engine.choose(flow, "email").view.state == "enter_code"
    assert len(host.outbox.sent) == 1


def test_a_port_can_refuse_for_good():
    host, engine = python_host()
    flow = engine.start_reset("ann@contoso.example", "solved").view.flow_id
    original = host.outbox.deliver

    def refusing(message):
        raise sspr.RejectedError("invalid destination")

    host.outbox.deliver = refusing
    with pytest.raises(sspr.RejectedError) as e:
        engine.choose(flow, "email")
    assert isinstance(e.value, sspr.PortError) and not isinstance(e.value, sspr.ConflictError)
    assert (e.value.port, e.value.kind) == ("notifier", "rejected")
    assert isinstance(e.value.__cause__, sspr.RejectedError)
    assert engine.reset_view(flow).state == "choose_method"  # nothing half-applied
    host.outbox.deliver = original
    assert engine.choose(flow, "email").view.state == "enter_code"


def test_errors_carry_what_a_web_app_needs_without_parsing_messages():
    host, engine = python_host()
    with pytest.raises(sspr.FlowNotFoundError) as e:
        engine.reset_view("no-such-flow")
    assert isinstance(e.value, sspr.InputError) and e.value.what == "flow id"
    with pytest.raises(sspr.InputError) as bad:
        engine.start_reset("x" * 100_000, "solved")
    assert bad.value.what == "identifier" and not isinstance(bad.value, sspr.FlowNotFoundError)
    # An error a port raises itself still has the attributes (empty until sspr sets them).
    assert sspr.PortError("mine").port == "" and sspr.InputError("mine").what == ""


def test_a_port_returning_the_wrong_type_is_a_port_error():
    host, engine = python_host()
    host.directory.find_user = lambda identifier: {"id": "u1"}
    with pytest.raises(sspr.PortError) as e:
        engine.start_reset("ann@contoso.example", "solved")
    assert "did not return a DirectoryUser" in str(e.value)
    host.clock.now = lambda: -5
    with pytest.raises(sspr.PortError):
        engine.start_reset("ann@contoso.example", "solved")


def test_a_lost_compare_and_set_is_retried():
    host, engine = python_host()
    flow = engine.start_reset("ann@contoso.example", "solved").view.flow_id
    save = host.flows.save
    lost = []

    def racing_save(key, data, expected, expires_at=0):
        if not lost:
            lost.append(key)
            raise sspr.ConflictError("someone else saved first")
        save(key, data, expected, expires_at)

    host.flows.save = racing_save
    assert engine.choose(flow, "email").view.state == "enter_code"
    # The store keys flows by their reference, never by the id (a bearer token).
    assert lost == [engine.reset_view(flow).flow_ref] and flow not in lost


def test_builtin_ports_mix_with_python_ones():
    mem = sspr.MemoryPorts.for_tests(T0, seed=3, captcha_token="pass")
    mem.directory.add_user(sspr.DirectoryUser("u2", "bo@contoso.example"), "Old-Password-1")
    outbox = HostPorts().outbox
    policy = sspr.Policy.from_dict(
        {"reset": {"methods": ["mobile_phone"]}, "limits": {"verify_failures": {"max": 3, "window_s": 3600, "block_s": 600}}}
    )
    engine = sspr.Engine(policy, mem.ports(notifier=outbox), keys=KEYS, identity_key=IDENTITY, issuer="Contoso", **CHEAP)
    engine.import_security_info("u2", mobile="+14255550123")
    flow = engine.start_reset("bo@contoso.example", "pass").view.flow_id
    # The whole number first ("enter your complete mobile phone number"): a wrong one sends nothing.
    assert engine.choose(flow, "mobile_text").view.state == "confirm_number"
    assert engine.confirm_number(flow, "not a number").rejection == "method.invalid"
    assert outbox.sent == []
    assert engine.confirm_number(flow, "+1 (425) 555-0123").view.state == "enter_code"
    assert [m.channel for m in outbox.sent] == ["sms"]
    assert mem.notifier.messages() == []
    rejections = [engine.enter_code(flow, "00000000").rejection for _ in range(3)]
    assert rejections[-1] == "user.blocked"
    mem.clock.advance(10)
    r = engine.start_reset("bo@contoso.example", "pass")
    assert r.rejection == "user.blocked" and r.retry_after == 590
    engine.unblock("bo@contoso.example", "helpdesk-agent-7")
    assert engine.start_reset("bo@contoso.example", "pass").rejection is None


def test_registration_with_an_authenticator_app():
    mem = sspr.MemoryPorts.for_tests(T0, seed=5, captcha_token="pass")
    mem.directory.add_user(sspr.DirectoryUser("u3", "cy@contoso.example"), "Old-Password-1")
    policy = sspr.Policy.from_dict({"reset": {"methods": ["app_code", "email"], "methods_required": 1}})
    engine = sspr.Engine(policy, mem.ports(), keys=KEYS, identity_key=IDENTITY, issuer="Contoso", **CHEAP)
    assert engine.sign_in_check("cy@contoso.example", "Old-Password-1").registration_required
    assert engine.start_registration("cy@contoso.example", "wrong").rejection == "reauth.failed"
    r = engine.start_registration("cy@contoso.example", "Old-Password-1")
    flow = r.view.flow_id
    r = engine.register_app(flow, "device-1")
    p = r.provisioning
    assert p.uri.startswith("otpauth://totp/Contoso:") and "secret" in repr(p) and p.secret_b32 not in repr(p)
    r = engine.verify(flow, sspr.totp_code(p.secret_b32, mem.clock.now()))
    assert r.rejection is None and r.view.registered == ["app_code"]
    assert engine.finish(flow).view.state == "done"
    assert not engine.sign_in_check("cy@contoso.example", "Old-Password-1").registration_required


def test_a_change_needs_proof_is_told_and_can_be_reported():
    host, engine = python_host()
    r = engine.start_registration("ann@contoso.example", "Old-Password-1")
    view = r.view
    assert view.state == "prove_identity" and [o.option for o in view.proof_options] == ["email"]
    # A view names the flow by its reference, never by its id (a bearer token).
    assert view.flow_id not in repr(view) and view.flow_ref in repr(view)
    flow = view.flow_id
    assert engine.register_mobile(flow, "+14255550123").rejection == "proof.required"
    assert engine.prove(flow, "email").view.state == "proving"
    code = host.outbox.sent[-1].code
    assert engine.verify(flow, code).view.state == "registering"
    host.outbox.sent.clear()
    engine.register_mobile(flow, "+14255550123")
    r = engine.verify(flow, host.outbox.sent[-1].code)
    assert r.view.registered == ["email", "mobile_phone"]
    notices = [m for m in host.outbox.sent if m.kind == "security_info_changed"]
    assert sorted(m.to for m in notices) == ["ann.home@fabrikam.example", "ann@contoso.example"]
    token = notices[0].revoke_token
    assert token and all(m.revoke_token == token for m in notices)
    reset = engine.start_reset("ann@contoso.example", "solved").view.flow_id
    report = engine.report_not_me(token)
    assert report.rejection is None and report.blocked_until is not None
    assert engine.choose(reset, "email").rejection == "flow.expired"
    assert engine.start_reset("ann@contoso.example", "solved").view.state == "blocked"
    assert engine.report_not_me(token).rejection == "notice.invalid"


def test_python_counters_hold_the_limit():
    host, engine = python_host()
    flow = engine.start_reset("ann@contoso.example", "solved").view.flow_id
    engine.choose(flow, "email")
    rejections = [engine.enter_code(flow, "0000000" + str(i)).rejection for i in range(3)]
    assert rejections == ["code.mismatch", "code.mismatch", "code.exhausted"]
    # Every attempt went through the Python counter store first.
    assert any(k.startswith("sspr/v2/challenge/") for k in host.counters.windows)


@pytest.mark.parametrize(
    "call, error",
    [
        (lambda e, f: e.start_reset("x" * 100_000, "pass"), sspr.InputError),
        (lambda e, f: e.choose(f, "carrier_pigeon"), sspr.InputError),
        (lambda e, f: e.choose("no-such-flow", "email"), sspr.FlowNotFoundError),
        (lambda e, f: e.enter_code("f" * 10_000, "1"), sspr.InputError),
        (lambda e, f: e.enter_code(f, "9" * 1_000_000), sspr.InputError),  # bounded input
        (lambda e, f: e.enter_code(f, "9" * 100), None),  # refused as a wrong code
        (lambda e, f: e.register_mobile(f, "+1", "pigeon"), sspr.InputError),
        (lambda e, f: e.remove(f, "fax"), sspr.InputError),
        (lambda e, f: e.import_security_info("u1", email="not an address"), sspr.InputError),
        (lambda e, f: e.import_security_info("u1", app_secret_b32="GEZDGNBVGY3TQOJQ"), sspr.InputError),
        (lambda e, f: e.import_security_info("ghost", email="a@b.example"), sspr.InputError),
        (lambda e, f: e.start_reset(None, "pass"), TypeError),
        (lambda e, f: e.answer(f, {"q": None}), TypeError),
        (lambda e, f: e.approve(f, "r", 1000), OverflowError),
    ],
)
def test_bad_input_gets_a_typed_error_and_keeps_the_flow(call, error):
    host, engine = python_host()
    flow = engine.start_reset("ann@contoso.example", "solved").view.flow_id
    engine.choose(flow, "email")
    if error is None:
        assert call(engine, flow).rejection == "code.mismatch"
    else:
        with pytest.raises(error):
            call(engine, flow)
    assert engine.reset_view(flow).state == "enter_code"
    assert engine.enter_code(flow, host.outbox.sent[0].code).view.state == "new_password"


def test_misconfiguration_is_misuse():
    mem = sspr.MemoryPorts.for_tests(T0, captcha_token="pass")
    with pytest.raises(sspr.MisuseError):
        mem.ports(mailer=object())
    with pytest.raises(sspr.MisuseError):
        mem.ports(notifier=object())  # no deliver method
    with pytest.raises(sspr.MisuseError):
        mem.ports(flows=mem.counters)
    with pytest.raises(sspr.MisuseError):
        sspr.Engine(POLICY, mem.ports(), keys=[("k", b"short")], identity_key=IDENTITY, issuer="x")
    with pytest.raises(sspr.MisuseError):
        sspr.Engine(POLICY, mem.ports(), keys=KEYS, identity_key=IDENTITY, issuer="x", hash_memory_kib=1)


def test_engine_calls_release_the_gil():
    """Another thread runs while one engine call hashes three answers with argon2 (64 MiB, t=3:
    hundreds of milliseconds). Were the GIL held, the ticker could not tick during the call."""
    mem = sspr.MemoryPorts.for_tests(T0, seed=9, captcha_token="pass")
    engine = sspr.Engine(POLICY, mem.ports(), keys=KEYS, identity_key=IDENTITY, issuer="x", hash_memory_kib=65536, hash_iterations=3)
    mem.directory.add_user(sspr.DirectoryUser("u0", "u0@contoso.example"), "Old-Password-1")
    answers = {
        "What is your favourite food?": "Pho soup",
        "In what city was your mother born?": "Redmond",
        "What is your father's middle name?": "Joseph",
    }
    ticks = []
    stop = threading.Event()

    def ticker():
        while not stop.is_set():
            ticks.append(1)
            stop.wait(0.001)

    t = threading.Thread(target=ticker)
    t.start()
    while not ticks:
        stop.wait(0.001)
    before = len(ticks)
    engine.import_security_info("u0", questions=answers)
    during = len(ticks) - before
    stop.set()
    t.join()
    assert during >= 10, f"the ticker ticked {during} times during the call"


def test_security_info_is_sealed_at_rest_and_sealing_keys_rotate():
    host, engine = python_host()
    ((data, _version),) = host.security_info.records.values()
    assert data.startswith("sspr-sealed.v1.identity.") and "fabrikam" not in data
    # A ring of the host's own reads what the default key sealed, and reseals on the next save.
    rotated = sspr.Engine(POLICY, host.ports(), keys=KEYS, identity_key=IDENTITY, issuer="Contoso",
                          sealing_keys=[("k2", bytes(range(64, 96)))], **CHEAP)
    assert rotated.sign_in_check("ann@contoso.example", "Old-Password-1").registration_required is False
    rotated.import_security_info("u1", email="ann.work@fabrikam.example")
    ((data, _version),) = host.security_info.records.values()
    assert data.startswith("sspr-sealed.v1.k2.")
    # An engine without that key cannot read it: a typed error, not a pass.
    with pytest.raises(sspr.InputError):
        engine.start_reset("ann@contoso.example", "solved")
    with pytest.raises(sspr.MisuseError):
        sspr.Engine(POLICY, host.ports(), keys=KEYS, identity_key=IDENTITY, issuer="Contoso",
                    sealing_keys=[("bad.id", bytes(32))], **CHEAP)


def test_results_become_plain_dicts_for_json():
    import json

    host, engine = python_host()
    started = engine.start_reset("ann@contoso.example", "solved")
    flow = started.view.flow_id
    chosen = engine.choose(flow, "email")
    wrong = engine.enter_code(flow, "00000000")
    d = wrong.to_dict()
    assert d["rejection"] == "code.mismatch" and d["retry_after"] is None
    assert d["view"]["state"] == "enter_code" and d["view"]["flow_id"] == flow
    assert d["view"]["options"][0]["option"] == chosen.view.option
    assert set(d["view"]) >= {"gate", "gates", "expires_at", "questions", "approval_number"}
    assert json.loads(json.dumps(d)) == d  # nothing but JSON values
    verdict = sspr.evaluate_password(sspr.Policy(), "short").to_dict()
    assert verdict["accepted"] is False and "password.too_short" in verdict["reasons"]


def test_a_stuck_user_is_shown_the_help_desk():
    policy = sspr.Policy.from_dict({
        "reset": {"methods": ["email"], "methods_required": 1},
        "help_desk": {"contact": "helpdesk@contoso.example"},
        "limits": {"verify_failures": {"max": 2, "window_s": 3600, "block_s": 600}},
    })
    mem = sspr.MemoryPorts.for_tests(T0, seed=11, captcha_token="pass")
    mem.directory.add_user(sspr.DirectoryUser("u1", "ann@contoso.example"), "Old-Password-1")
    engine = sspr.Engine(policy, mem.ports(), keys=KEYS, identity_key=IDENTITY, issuer="Contoso", **CHEAP)
    engine.import_security_info("u1", email="ann.home@fabrikam.example")
    r = engine.start_reset("ann@contoso.example", "pass")
    assert r.view.help_desk is None  # not stuck: nothing to show
    flow = r.view.flow_id
    engine.choose(flow, "email")
    results = [engine.enter_code(flow, "00000000") for _ in range(2)]
    assert results[-1].rejection == "user.blocked"
    assert results[-1].view.help_desk == "helpdesk@contoso.example"
    assert results[-1].to_dict()["view"]["help_desk"] == "helpdesk@contoso.example"


def test_the_reset_screen_lists_unavailable_options_and_confirms_email_links():
    mem = sspr.MemoryPorts.for_tests(T0, seed=11, captcha_token="pass")
    mem.directory.add_user(sspr.DirectoryUser("u9", "di@contoso.example"), "Old-Password-1")
    policy = sspr.Policy.from_dict({"reset": {"methods": ["email", "mobile_phone", "office_phone"]}})
    engine = sspr.Engine(policy, mem.ports(), keys=KEYS, identity_key=IDENTITY, issuer="Contoso", **CHEAP)
    engine.import_security_info("u9", email="di.home@fabrikam.example")
    view = engine.start_reset("di@contoso.example", "pass").view
    assert [o.option for o in view.options] == ["email"]
    assert view.unavailable == ["mobile_text", "mobile_call", "office_call"]
    flow = view.flow_id
    engine.choose(flow, "email")
    (mail,) = mem.notifier.take()
    assert mail.code and mail.link_token and mail.link_token not in repr(mail)
    # A wrong token counts as a wrong code; the delivered one passes the gate, once.
    assert engine.confirm_link(flow, "not-it").rejection == "code.mismatch"
    assert engine.confirm_link(flow, mail.link_token).view.state == "new_password"
    assert engine.confirm_link(flow, mail.link_token).rejection == "flow.invalid_step"


def test_recovery_codes_are_shown_once_and_pass_a_gate_once():
    mem = sspr.MemoryPorts.for_tests(T0, seed=12, captcha_token="pass")
    mem.directory.add_user(sspr.DirectoryUser("u10", "ed@contoso.example"), "Old-Password-1")
    policy = sspr.Policy.from_dict({"reset": {"methods": ["email", "recovery_codes"]}})
    engine = sspr.Engine(policy, mem.ports(), keys=KEYS, identity_key=IDENTITY, issuer="Contoso", **CHEAP)
    engine.import_security_info("u10", email="ed.home@fabrikam.example")
    flow = engine.start_registration("ed@contoso.example", "Old-Password-1").view.flow_id
    engine.prove(flow, "email")
    (code,) = [m.code for m in mem.notifier.take() if m.code]
    assert engine.verify(flow, code).view.state == "registering"
    r = engine.register_recovery_codes(flow)
    assert len(r.recovery_codes) == 10 and "recovery_codes" in r.view.registered
    assert r.recovery_codes[0] not in repr(r)
    reset = engine.start_reset("ed@contoso.example", "pass").view.flow_id
    assert engine.choose(reset, "recovery_code").view.state == "enter_code"
    assert engine.enter_code(reset, r.recovery_codes[5].lower()).view.state == "new_password"
    again = engine.start_reset("ed@contoso.example", "pass").view.flow_id
    engine.choose(again, "recovery_code")
    assert engine.enter_code(again, r.recovery_codes[5]).rejection == "code.mismatch"
