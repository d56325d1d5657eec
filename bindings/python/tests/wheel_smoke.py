"""A reset on the installed wheel, in a virtual environment that holds nothing else: run by
scripts/test.sh with each CPython it finds (no pytest, no repository on the path)."""
import os
import sys
from typing import Optional

import sspr


class Outbox:
    def __init__(self) -> None:
        self.sent: list[sspr.Message] = []

    def deliver(self, message: sspr.Message) -> None:
        self.sent.append(message)


class Captcha:
    def verify(self, response: str, client: Optional[str]) -> bool:
        return response == "solved"


def main() -> None:
    here = os.path.dirname(os.path.abspath(sspr.__file__))
    assert "site-packages" in here, f"sspr was imported from {here}, not from the installed wheel"
    assert os.path.exists(os.path.join(here, "py.typed")) and os.path.exists(os.path.join(here, "_sspr.pyi"))
    # Test doubles for the directory and stores; the production Ports: system clock, OS randomness.
    mem = sspr.MemoryPorts.for_tests(0, captcha_token="unused")
    mem.directory.add_user(sspr.DirectoryUser("u1", "ann@contoso.example"), "Old-Password-1")
    outbox = Outbox()
    ports = sspr.Ports(directory=mem.directory, security_info=mem.security_info, flows=mem.flows,
                       counters=mem.counters, consume_once=mem.consume_once, notifier=outbox, captcha=Captcha())
    policy = sspr.Policy.from_toml('[reset]\nmethods = ["email"]\nmethods_required = 1\n')
    engine = sspr.Engine(policy, ports, keys=[("k", os.urandom(32))], identity_key=os.urandom(32),
                         issuer="Contoso", hash_memory_kib=8, hash_iterations=1)
    engine.import_security_info("u1", email="ann.home@fabrikam.example")
    r = engine.start_reset("ann@contoso.example", "solved")
    assert r.view is not None and r.view.state == "choose_method", r
    flow = r.view.flow_id
    assert engine.choose(flow, "email").rejection is None
    code = outbox.sent[-1].code
    assert code is not None
    assert engine.enter_code(flow, code).rejection is None
    done = engine.new_password(flow, "Quiet-Lantern-Meadow-42")
    assert done.view is not None and done.view.state == "completed", done
    assert mem.directory.password_matches("u1", "Quiet-Lantern-Meadow-42")
    v = sys.version_info
    print(f"wheel ok: sspr {sspr.__version__} on CPython {v.major}.{v.minor}.{v.micro}, reset {done.view.state}")


if __name__ == "__main__":
    main()
