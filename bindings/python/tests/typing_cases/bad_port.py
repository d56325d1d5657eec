"""A notifier whose deliver() takes a str instead of a Message: mypy --strict must refuse it
where it is passed as `notifier`."""
from typing import Optional

import sspr


class Mailer:
    def deliver(self, message: str) -> None:
        print(message)


class Captcha:
    def verify(self, response: str, client: Optional[str]) -> bool:
        return True


mem = sspr.MemoryPorts.for_tests(1_750_000_000, captcha_token="unused")
ports = sspr.Ports(
    directory=mem.directory,
    security_info=mem.security_info,
    flows=mem.flows,
    counters=mem.counters,
    consume_once=mem.consume_once,
    notifier=Mailer(),
    captcha=Captcha(),
)
