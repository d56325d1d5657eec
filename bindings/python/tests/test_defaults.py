"""Safe defaults: `Ports(...)` runs on the system clock and OS randomness unless given others,
the test doubles say so in their names, and nothing accepts a CAPTCHA token it was not given."""
import inspect
import sys
import time
from pathlib import Path

import pytest

import sspr

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "examples" / "python"))
from dict_ports import HostPorts  # noqa: E402

T0 = 1_750_000_000
KEYS = [("k1", bytes(range(32)))]
IDENTITY = bytes(range(32, 64))
CHEAP = dict(hash_memory_kib=8, hash_iterations=1)
POLICY = sspr.Policy.from_dict({"reset": {"methods": ["email"], "methods_required": 1}})


def production_ports(host):
    """The host's own ports, without a clock or randomness: the defaults apply."""
    return sspr.Ports(
        directory=host.directory,
        security_info=host.security_info,
        flows=host.flows,
        counters=host.counters,
        consume_once=host.consume_once,
        notifier=host.outbox,
        captcha=host.captcha,
    )


def reset_until_code(ports_of):
    """A fresh host and engine, the same user and keys every time; the flow id and the code sent."""
    host = HostPorts()
    host.directory.add(sspr.DirectoryUser("u1", "ann@contoso.example"), "Old-Password-1")
    engine = sspr.Engine(POLICY, ports_of(host), keys=KEYS, identity_key=IDENTITY, issuer="Contoso", **CHEAP)
    engine.import_security_info("u1", email="ann.home@fabrikam.example")
    before = time.time()
    r = engine.start_reset("ann@contoso.example", "solved")
    assert r.rejection is None, r.rejection
    engine.choose(r.view.flow_id, "email")
    after = time.time()
    (message,) = host.outbox.sent
    return r.view, message, (before, after)


def test_ports_default_to_the_system_clock_and_os_randomness():
    view, message, (before, after) = reset_until_code(production_ports)
    # The engine read the system clock: the message is stamped with the time of the call.
    assert int(before) <= message.created_at <= int(after) + 1
    assert view.expires_at > int(after)
    # The randomness is not reproducible: the same steps again draw another flow and code.
    view2, message2, _ = reset_until_code(production_ports)
    assert view2.flow_id != view.flow_id
    assert (message2.id, message2.code) != (message.id, message.code)


def test_a_seeded_test_double_is_reproducible_so_the_check_above_can_fail():
    def seeded(host):
        mem = sspr.MemoryPorts.for_tests(T0, seed=7, captcha_token="unused")
        return mem.ports(directory=host.directory, notifier=host.outbox, captcha=host.captcha,
                         security_info=host.security_info, flows=host.flows)

    view, message, _ = reset_until_code(seeded)
    view2, message2, _ = reset_until_code(seeded)
    assert (view2.flow_id, message2.code) == (view.flow_id, message.code)
    assert message.created_at == T0  # the test clock, not the system's


def test_no_constructor_accepts_a_captcha_token_it_was_not_given():
    with pytest.raises(TypeError):
        sspr.MemoryPorts(T0)  # no default constructor: only the test one
    with pytest.raises(TypeError):
        sspr.MemoryPorts.for_tests(T0)  # the token must be given
    with pytest.raises(TypeError):
        sspr.TestCaptcha()
    host = HostPorts()
    with pytest.raises(TypeError):
        sspr.Ports(directory=host.directory, security_info=host.security_info, flows=host.flows,
                   counters=host.counters, consume_once=host.consume_once, notifier=host.outbox)
    mem = sspr.MemoryPorts.for_tests(T0, captcha_token="given-token")
    mem.directory.add_user(sspr.DirectoryUser("u1", "ann@contoso.example"), "Old-Password-1")
    engine = sspr.Engine(POLICY, mem.ports(), keys=KEYS, identity_key=IDENTITY, issuer="Contoso", **CHEAP)
    for guess in ["pass", "", "solved", "test", "captcha"]:
        assert engine.start_reset("ann@contoso.example", guess).rejection == "captcha.failed"
    assert engine.start_reset("ann@contoso.example", "given-token").rejection is None


def public_callables():
    """Every public class and function of the package, and every static method of its classes."""
    for name in sspr.__all__:
        obj = getattr(sspr, name)
        if inspect.isclass(obj) and not issubclass(obj, BaseException):
            yield name, obj
            for attr, value in vars(obj).items():
                if not attr.startswith("_") and isinstance(value, staticmethod):
                    yield f"{name}.{attr}", getattr(obj, attr)
        elif callable(obj) and not inspect.ismodule(obj):
            yield name, obj


def test_no_signature_has_a_default_captcha_token():
    checked = []
    for name, fn in public_callables():
        try:
            signature = inspect.signature(fn)
        except (TypeError, ValueError):
            continue  # no constructor (built by sspr only)
        for p in signature.parameters.values():
            if "captcha" in p.name:
                checked.append(f"{name}({p.name})")
                assert p.default is inspect.Parameter.empty, f"{name} has a default {p.name}"
    assert "MemoryPorts.for_tests(captcha_token)" in checked and "Ports(captcha)" in checked


def test_test_doubles_are_named_and_documented_as_such():
    assert not hasattr(sspr, "ManualClock") and not hasattr(sspr, "StaticCaptcha")
    assert "for tests" in sspr.TestClock.__doc__ and "for tests" in sspr.TestCaptcha.__doc__
    assert "tests" in sspr.MemoryPorts.for_tests.__doc__ and "tests" in sspr.MemoryPorts.__doc__
    mem = sspr.MemoryPorts.for_tests(T0, captcha_token="t")
    assert isinstance(mem.clock, sspr.TestClock) and isinstance(mem.captcha, sspr.TestCaptcha)
    assert mem.clock.now() == T0
