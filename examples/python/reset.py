"""A password reset run from Python, every port written in Python (see dict_ports.py).

Run: `python examples/python/reset.py` once the package is installed (`maturin develop` in
`bindings/python`). Prints each screen as the user would meet it.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import sspr  # noqa: E402
from dict_ports import HostPorts  # noqa: E402

POLICY = """
[reset]
methods = ["email", "mobile_phone", "security_questions"]
methods_required = 2

[security_questions]
to_register = 3
to_reset = 3
"""


def shown(r: sspr.ResetResult) -> sspr.ResetView:
    """The screen a step leads to (every step of a started flow has one)."""
    if r.view is None:
        raise RuntimeError(f"no screen: {r.rejection}")
    return r.view


def main() -> None:
    host = HostPorts()
    host.directory.add(
        sspr.DirectoryUser("u-1", "alex@contoso.example", first_name="Alex", last_name="Wilber", org_name="Contoso"),
        "Tulip-Harbour-77",
    )
    engine = sspr.Engine(
        sspr.Policy.from_toml(POLICY),
        host.ports(),
        keys=[("2026-11", os.urandom(32))],  # code keys: rotate by adding a new one first
        identity_key=os.urandom(32),  # demo only: keep one stable, secret key in production
        issuer="Contoso",
        hash_memory_kib=8,  # demo only: keep the OWASP defaults in production
        hash_iterations=1,
    )
    answers = {
        "In what city was your mother born?": "Redmond",
        "What is your favourite food?": "Pho soup",
        "What is your father's middle name?": "Joseph",
    }
    engine.import_security_info("u-1", email="alex.home@fabrikam.example", mobile="+14255550123", questions=answers)

    print("Get back into your account. Who are you?")
    view = shown(engine.start_reset("Alex@Contoso.example ", "solved"))
    flow = view.flow_id
    print(f"  verification step {view.gate} of {view.gates}; options:",
          ", ".join(f"{o.option} ({o.masked})" if o.masked else o.option for o in view.options))

    view = shown(engine.choose(flow, "email"))
    code = host.outbox.sent[-1].code
    assert code is not None
    print(f"  we emailed a code to {view.options[0].masked}: the user types {code}")
    view = shown(engine.enter_code(flow, code))
    print(f"  verification step {view.gate} of {view.gates}")

    # Views name predefined questions by their stable id (`question-06`); the catalog gives
    # the words in the user's language, and the answers go back under the same ids.
    catalog = sspr.Catalog("en")
    view = shown(engine.choose(flow, "security_questions"))
    print(f"  answer {len(view.questions)} questions:", " / ".join(catalog.question(q) for q in view.questions))
    view = shown(engine.answer(flow, {q: answers[catalog.question(q)] for q in view.questions}))
    print(f"  state: {view.state}")

    r = engine.new_password(flow, "password123")
    assert r.password is not None
    print(f"  'password123' refused: {', '.join(r.password.reasons)}")
    view = shown(engine.new_password(flow, "Quiet-Lantern-Meadow-42"))
    print(f"  new password accepted: {view.state}")
    assert host.directory.check_password("u-1", "Quiet-Lantern-Meadow-42")
    print("  notifications:", ", ".join(f"{m.kind} by {m.channel}" for m in host.outbox.sent if m.kind != "code"))
    print("  audit:", ", ".join(e["kind"] for e in host.audit.events))


if __name__ == "__main__":
    main()
