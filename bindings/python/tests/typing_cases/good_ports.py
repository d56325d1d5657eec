"""A host's ports written in Python and typed: mypy --strict must accept every line."""
from typing import Literal, Optional, Union

from typing_extensions import assert_never, assert_type

import sspr
from sspr.ids import Channel, MessageKind, PortErrorKind, PortName, Reason, RegistrationState, ResetOption, ResetState


class Mailer:
    """A notifier: hands each message to the host's own delivery."""

    def __init__(self) -> None:
        self.sent: list[sspr.Message] = []

    def deliver(self, message: sspr.Message) -> None:
        assert_type(message.channel, Channel)
        assert_type(message.kind, MessageKind)
        self.sent.append(message)


class Captcha:
    def verify(self, response: str, client: Optional[str]) -> bool:
        return response == "solved"


class Clock:
    def __init__(self, now: int) -> None:
        self.t = now

    def now(self) -> int:
        return self.t


def screen_title(state: RegistrationState) -> str:
    """Every registration screen handled: a new one would fail assert_never."""
    match state:
        case "prove_identity" | "proving":
            return "Prove it's you"
        case "registering" | "verifying":
            return "Keep your account secure"
        case "reconfirm":
            return "Is your security info still correct?"
        case "done" | "expired" | "cancelled":
            return "Done"
        case _:
            assert_never(state)


def main() -> None:
    mem = sspr.MemoryPorts.for_tests(1_750_000_000, captcha_token="unused", seed=1)
    mailer = Mailer()
    ports = sspr.Ports(
        directory=mem.directory,
        security_info=mem.security_info,
        flows=mem.flows,
        counters=mem.counters,
        consume_once=mem.consume_once,
        notifier=mailer,
        captcha=Captcha(),
        clock=Clock(1_750_000_000),
    )
    also = mem.ports(notifier=mailer, captcha=Captcha())
    engine = sspr.Engine(sspr.Policy(), ports, keys=[("k", bytes(32))], identity_key=bytes(32), issuer="Contoso")
    sspr.Engine(sspr.Policy(), also, keys=[("k", bytes(32))], identity_key=bytes(32), issuer="Contoso")
    r = engine.start_reset("ann@contoso.example", "solved")
    assert_type(r.rejection, Optional[Reason])
    if r.view is not None:
        assert_type(r.view.state, ResetState)
        option: ResetOption = r.view.options[0].option
        engine.choose(r.view.flow_id, option)
        engine.choose(r.view.flow_id, "mobile_text")
    reg = engine.start_registration("ann@contoso.example", "Old-Password-1")
    if reg.view is not None:
        print(screen_title(reg.view.state))
    try:
        engine.reset_view("no-such-flow")
    except sspr.FlowNotFoundError as e:
        assert_type(e.what, str)
    except sspr.PortError as e:
        assert_type(e.port, Union[PortName, Literal[""]])
        assert_type(e.kind, Union[PortErrorKind, Literal[""]])
    verdict = sspr.evaluate_password(engine.policy, "Quiet-Lantern-Meadow-42")
    reasons: list[Reason] = verdict.reasons
    print(reasons, verdict.breach)


if __name__ == "__main__":
    main()
