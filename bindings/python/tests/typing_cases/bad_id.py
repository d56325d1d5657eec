"""Misspelt ids: mypy --strict must refuse the option and the comparison."""
import sspr

mem = sspr.MemoryPorts.for_tests(1_750_000_000, captcha_token="pass")
engine = sspr.Engine(sspr.Policy(), mem.ports(), keys=[("k", bytes(32))], identity_key=bytes(32), issuer="Contoso")
r = engine.start_reset("ann@contoso.example", "pass")
if r.view is not None:
    engine.choose(r.view.flow_id, "carrier_pigeon")
    if r.view.state == "enter_cod":
        print("never")
