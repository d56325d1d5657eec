"""The Python API: results, typed errors for bad input, and no crash on hostile values."""
import pytest

import sspr


def test_policy_round_trip_and_field_errors():
    p = sspr.Policy.from_toml('[reset]\nmethods_required = 2\nmethods = ["email", "mobile_phone"]\n')
    assert p.to_dict()["reset"]["methods_required"] == 2
    assert sspr.Policy.from_dict(p.to_dict()) == p
    assert sspr.Policy.parse(p.to_json()) == p
    assert "methods_required = 2" in p.to_toml()
    with pytest.raises(sspr.PolicyError) as e:
        sspr.Policy.from_dict({"reset": {"methods_requried": 2}})
    assert e.value.field == "reset.methods_requried"
    assert isinstance(e.value, sspr.SsprError)
    with pytest.raises(sspr.PolicyError) as e:
        sspr.Policy.from_json("{not json")
    assert e.value.field == ""


@pytest.mark.parametrize("bad", [None, 42, [1, 2], {"reset": object()}, "a string"])
def test_policy_bad_inputs_raise_typed_errors(bad):
    with pytest.raises((sspr.PolicyError, sspr.InputError)):
        sspr.Policy.from_dict(bad)


@pytest.mark.parametrize("call", [
    lambda: sspr.Policy.from_toml(None),
    lambda: sspr.evaluate_password(None, "x"),
    lambda: sspr.evaluate_password(sspr.Policy(), 12345),
    lambda: sspr.hotp("GEZDGNBV", "not a counter"),
])
def test_wrong_types_raise_type_errors(call):
    with pytest.raises(TypeError):
        call()


def test_password_verdict():
    v = sspr.evaluate_password(sspr.Policy(), "C0ntos0Blank12", org_name="Contoso")
    assert not v.accepted
    assert "password.banned" in v.reasons
    assert v.banned_score is not None and v.banned_score < 5
    ok = sspr.evaluate_password(sspr.Policy(), "violet tugboat ladders whisper")
    assert ok.accepted and ok.reasons == [] and ok.meter == 4


def test_huge_and_strange_passwords_are_bounded():
    huge = "x" * 1_000_000
    v = sspr.evaluate_password(sspr.Policy(), huge)
    assert v.reasons == ["password.too_long"] and v.banned_score is None
    for s in ["", "\x00" * 20, "🔑" * 300, "4@8({[<3691!|70$5+%2" * 12]:
        sspr.evaluate_password(sspr.Policy(), s)


def test_history_and_a_failing_breach_checker():
    policy = sspr.Policy.from_dict({"password": {"history": 1, "breached": True, "global_banned_list": False}})
    old = sspr.hash_secret("Nebula-Quartz-72", memory_kib=8, iterations=1)
    assert sspr.verify_secret("Nebula-Quartz-72", old) and not sspr.verify_secret("x", old)
    class Clean:
        def range(self, prefix):
            return []

    v = sspr.evaluate_password(policy, "Nebula-Quartz-72", history=[old], breach_checker=Clean())
    assert "password.reused" in v.reasons
    # The policy checks breaches: without a checker that is a misuse, never a silent skip.
    with pytest.raises(sspr.MisuseError):
        sspr.evaluate_password(policy, "Lantern-Orchard-7731")

    class Down:
        def range(self, prefix):
            raise RuntimeError("down")

    v = sspr.evaluate_password(policy, "Lantern-Orchard-7731", breach_checker=Down())
    assert v.accepted and v.breach == "unavailable"
    with pytest.raises(sspr.PortError) as e:
        sspr.evaluate_password(policy, "Lantern-Orchard-7731", breach_checker=Down(), fail_closed=True)
    assert isinstance(e.value.__cause__, RuntimeError)

    class Wrong:
        def range(self, prefix):
            return "not pairs"

    with pytest.raises(sspr.PortError):
        sspr.evaluate_password(policy, "Lantern-Orchard-7731", breach_checker=Wrong(), fail_closed=True)
    with pytest.raises(sspr.InputError):
        sspr.evaluate_password(policy, "xyz", history=["not a hash"], breach_checker=Clean())


def test_totp():
    secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
    code = sspr.totp_code(secret, 1750000015)
    r = sspr.verify_totp(secret, code, 1750000015)
    assert r.valid and r.step == 58333333
    again = sspr.verify_totp(secret, code, 1750000015, last_step=r.step)
    assert not again.valid and again.reason == "totp.replay"
    assert sspr.verify_totp(secret, "12", 1750000015).reason == "totp.malformed"
    with pytest.raises(sspr.InputError):
        sspr.totp_code("not base32!", 0)
    with pytest.raises(sspr.InputError):
        sspr.totp_code(secret, 0, digits=11)


def test_totp_object_matches_the_functions():
    secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
    t = sspr.Totp(secret, digits=8, algorithm="SHA256", period=60)
    code = t.at(1750000015)
    assert code == sspr.totp_code(secret, 1750000015, digits=8, algorithm="SHA256", period=60)
    assert t.verify(code, 1750000015).valid
    assert t.verify(code, 1750000015, last_step=t.verify(code, 1750000015).step).reason == "totp.replay"
    with pytest.raises(sspr.InputError):
        sspr.Totp(secret, digits=4)
