"""The literal types in `sspr.ids` (which the stub uses) against the ids sspr really speaks: the
lists the extension reports, and the ids written in the Rust sources. A variant added, renamed
or removed on one side and not the other fails here."""
import re
import typing
from pathlib import Path

import pytest

import sspr
from sspr import ids

ROOT = Path(__file__).resolve().parents[3]


def literal_values(alias):
    """The strings of a literal type (a union of one-value literals)."""
    values = []
    for arg in typing.get_args(alias):
        values.extend(typing.get_args(arg) if typing.get_origin(arg) is typing.Literal else [arg])
    return values


def source(path):
    return (ROOT / path).read_text(encoding="utf-8")


def block_after(text, start):
    """The text from `start` to the brace that closes the first brace after it."""
    i = text.index(start)
    open_at = text.index("{", i + len(start) - 1 if start.endswith("{") else i)
    depth = 0
    for j in range(open_at, len(text)):
        depth += {"{": 1, "}": -1}.get(text[j], 0)
        if depth == 0:
            return text[open_at : j + 1]
    raise AssertionError(f"no closing brace after {start!r}")


def id_fn_arms(path, type_name):
    """The ids `impl <type_name> { fn id(self) ... }` returns, in order."""
    impl = block_after(source(path), f"impl {type_name} {{")
    body = block_after(impl, "fn id(self)")
    found = re.findall(r'Self::\w+\s*=>\s*"([^"]+)"', body)
    assert found, f"no ids found in {path} {type_name}::id"
    return found


def macro_ids(path, start):
    """The ids of a `name => "id",` macro invocation starting at `start`."""
    body = block_after(source(path), start)
    body = re.sub(r"^\s*///.*$", "", body, flags=re.M)
    found = re.findall(r'^\s*\w+\s*=>\s*"([^"]+)"', body, flags=re.M)
    assert found, f"no ids found in {path} after {start!r}"
    return found


RUST = {
    "Reason": lambda: macro_ids("sspr-core/src/reason.rs", "reasons! {"),
    "ResetState": lambda: macro_ids("sspr-core/src/reset.rs", "ResetScreen {"),
    "RegistrationState": lambda: macro_ids("sspr-core/src/registration.rs", "RegistrationScreen {"),
    "Method": lambda: id_fn_arms("sspr-core/src/method.rs", "Method"),
    "ResetOption": lambda: id_fn_arms("sspr-core/src/method.rs", "ResetOption"),
    "Channel": lambda: id_fn_arms("sspr-core/src/ports/notifier.rs", "Channel"),
    "MessageKind": lambda: id_fn_arms("sspr-core/src/ports/notifier.rs", "MessageKind"),
    "PortName": lambda: id_fn_arms("sspr-core/src/error.rs", "PortName"),
    "PortErrorKind": lambda: id_fn_arms("sspr-core/src/error.rs", "PortErrorKind"),
    "FeedbackId": lambda: macro_ids("sspr-core/src/password/feedback.rs", "messages! {"),
    # Spelt by the binding itself: the verdict's breach status and how a phone is verified.
    "BreachStatus": lambda: re.findall(
        r'BreachStatus::\w+(?: \{ \.\. \})? => "([^"]+)"', source("bindings/python/src/lib.rs")
    ),
    "Via": lambda: re.findall(r'"(\w+)" => Via::\w+', source("bindings/python/src/engine.rs")),
}


@pytest.mark.parametrize("name", sorted(RUST))
def test_each_literal_type_matches_the_rust_source(name):
    typed = literal_values(getattr(ids, name))
    rust = RUST[name]()
    assert len(typed) == len(set(typed)), f"{name} repeats an id"
    assert sorted(typed) == sorted(rust), (
        f"sspr.ids.{name} and the Rust source differ: "
        f"only in Python {sorted(set(typed) - set(rust))}, only in Rust {sorted(set(rust) - set(typed))}"
    )


def test_every_id_type_is_checked():
    assert sorted(RUST) == sorted(ids.__all__)


@pytest.mark.parametrize(
    "listed, alias",
    [
        ("REASONS", "Reason"),
        ("RESET_STATES", "ResetState"),
        ("REGISTRATION_STATES", "RegistrationState"),
        ("METHODS", "Method"),
        ("RESET_OPTIONS", "ResetOption"),
        ("FEEDBACK_IDS", "FeedbackId"),
    ],
)
def test_the_extension_reports_the_same_ids(listed, alias):
    reported = getattr(sspr, listed)
    assert isinstance(reported, tuple) and reported
    assert sorted(reported) == sorted(literal_values(getattr(ids, alias)))


def test_results_carry_ids_of_their_types():
    """Ids a live engine hands out belong to the types (a spot check beside the lists)."""
    mem = sspr.MemoryPorts.for_tests(1_750_000_000, seed=1, captcha_token="pass")
    mem.directory.add_user(sspr.DirectoryUser("u1", "ann@contoso.example"), "Old-Password-1")
    engine = sspr.Engine(sspr.Policy.from_dict({"reset": {"methods": ["email"], "methods_required": 1}}),
                         mem.ports(), keys=[("k", bytes(32))], identity_key=bytes(range(32)), issuer="C",
                         hash_memory_kib=8, hash_iterations=1)
    engine.import_security_info("u1", email="ann.home@fabrikam.example")
    r = engine.start_reset("ann@contoso.example", "pass")
    assert r.view.state in literal_values(ids.ResetState)
    assert {o.option for o in r.view.options} <= set(literal_values(ids.ResetOption))
    engine.choose(r.view.flow_id, "email")
    wrong = engine.enter_code(r.view.flow_id, "00000000")
    assert wrong.rejection in literal_values(ids.Reason)
    (message,) = mem.notifier.messages()
    assert message.channel in literal_values(ids.Channel)
    assert message.kind in literal_values(ids.MessageKind)
    weak = sspr.evaluate_password(sspr.Policy(), "password")
    assert set(weak.reasons) <= set(literal_values(ids.Reason))
    assert weak.breach in literal_values(ids.BreachStatus)
    assert weak.warning in literal_values(ids.FeedbackId)
