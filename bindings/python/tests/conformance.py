"""The Python conformance runner: every `*.json` vector file under a directory, through the
`sspr` package. Usage: `python tests/conformance.py [DIR]` (default: `SSPR_CONFORMANCE_DIR`, else
the project's `conformance/`). Prints one line per failure and `N passed, N failed`."""
import hashlib
import json
import os
import sys
from pathlib import Path

import sspr

ROOT = Path(__file__).resolve().parents[3]
TEST_HASH = dict(memory_kib=8, iterations=1, parallelism=1)


class ExpectError(Exception):
    pass


def check_keys(expect, known):
    unknown = set(expect) - set(known)
    if unknown:
        raise ExpectError(f"unknown expect keys {sorted(unknown)}")


def run_policy(case):
    expect = case["expect"]
    check_keys(expect, ["valid", "field"])
    try:
        policy = sspr.Policy.from_dict(case["policy"])
    except sspr.PolicyError as e:
        if expect["valid"]:
            raise ExpectError(f"rejected: {e}")
        if "field" in expect and e.field != expect["field"]:
            raise ExpectError(f"error names {e.field!r}, expected {expect['field']!r}")
        return
    if not expect["valid"]:
        raise ExpectError(f"accepted; expected an error at {expect.get('field')}")
    if sspr.Policy.from_dict(policy.to_dict()) != policy:
        raise ExpectError("the effective policy does not parse back to the same policy")


def run_hotp(case):
    got = sspr.hotp(case["secret_b32"], case["counter"], algorithm=case.get("algorithm", "SHA1"), digits=case["digits"])
    if got != case["code"]:
        raise ExpectError(f"generated {got}, expected {case['code']}")


def run_totp(case):
    params = dict(algorithm=case.get("algorithm", "SHA1"), digits=case["digits"], period=case.get("period", 30))
    if "submit" not in case:
        got = sspr.totp_code(case["secret_b32"], case["t"], **params)
        if got != case["code"]:
            raise ExpectError(f"generated {got}, expected {case['code']}")
        return
    expect = case["expect"]
    check_keys(expect, ["valid", "step", "reason"])
    r = sspr.verify_totp(case["secret_b32"], case["submit"], case["t"], skew=case.get("skew", 1), last_step=case.get("last_step"), **params)
    if r.valid != expect["valid"]:
        raise ExpectError(f"valid={r.valid} ({r.reason}), expected {expect['valid']}")
    if expect["valid"] and "step" in expect and r.step != expect["step"]:
        raise ExpectError(f"matched step {r.step}, expected {expect['step']}")
    if not expect["valid"] and "reason" in expect and r.reason != expect["reason"]:
        raise ExpectError(f"refused with {r.reason}, expected {expect['reason']}")


class SetBreachChecker:
    """k-anonymity range answers over a set of known passwords."""

    def __init__(self, passwords, down=False):
        self.hashes = {hashlib.sha1(p.encode()).hexdigest().upper() for p in passwords}
        self.down = down

    def range(self, prefix):
        if self.down:
            raise ConnectionError("breach service down")
        return [(h[5:], 1) for h in self.hashes if h.startswith(prefix)]


_COMMON = None


def common_passwords():
    global _COMMON
    if _COMMON is None:
        lines = (ROOT / "sspr-core/data/common-passwords.txt").read_text(encoding="utf-8").splitlines()
        _COMMON = SetBreachChecker([l for l in lines if not l.startswith("#")])
    return _COMMON


def run_password(case):
    expect = case["expect"]
    check_keys(expect, ["accepted", "reasons", "banned_score", "error"])
    policy = sspr.Policy.from_dict({"password": case.get("policy", {})})
    user = case.get("user", {})
    history = [sspr.hash_secret(p, **TEST_HASH) for p in user.get("previous", [])]
    if "breached" in case:
        checker = SetBreachChecker(case["breached"], down=case.get("breach_service") == "down")
    elif case.get("breach_service") == "down":
        checker = SetBreachChecker([], down=True)
    else:
        checker = common_passwords()
    try:
        v = sspr.evaluate_password(
            policy,
            case["password"],
            case.get("confirm"),
            username=user.get("username", ""),
            first_name=user.get("first_name", ""),
            last_name=user.get("last_name", ""),
            org_name=user.get("org_name", ""),
            history=history,
            breach_checker=checker,
            fail_closed=case.get("breach_mode") == "fail_closed",
        )
    except sspr.PortError:
        if expect.get("error") == "port":
            return
        raise
    if "error" in expect:
        raise ExpectError(f"expected a {expect['error']} error")
    if "accepted" in expect and v.accepted != expect["accepted"]:
        raise ExpectError(f"accepted={v.accepted}, expected {expect['accepted']}; reasons {v.reasons}, banned score {v.banned_score}")
    for r in expect.get("reasons", []):
        if r not in v.reasons:
            raise ExpectError(f"reason {r} not reported; got {v.reasons}")
    if "banned_score" in expect and v.banned_score != expect["banned_score"]:
        raise ExpectError(f"banned score {v.banned_score}, expected {expect['banned_score']}")


SUITES = {"policy": run_policy, "hotp": run_hotp, "totp": run_totp, "password": run_password}
NOT_YET = {"flow"}  # the engine is not bound in Python yet


def run_dir(directory):
    passed = failed = skipped = 0
    failures = []
    for path in sorted(Path(directory).rglob("*.json")):
        shown = path.relative_to(directory)
        doc = json.loads(path.read_text(encoding="utf-8"))
        suite = doc.get("suite")
        if doc.get("format") != 1:
            failures.append(f"FAIL {shown}: format {doc.get('format')} is not 1")
            failed += 1
            continue
        if suite in NOT_YET:
            skipped += len(doc.get("cases", []))
            continue
        run = SUITES.get(suite)
        if run is None:
            failures.append(f"FAIL {shown}: unknown suite {suite!r}")
            failed += 1
            continue
        for case in doc["cases"]:
            try:
                run(case)
                passed += 1
            except Exception as e:  # noqa: BLE001 - every failure is reported
                failures.append(f"FAIL {shown} / {case.get('name')}: {type(e).__name__}: {e}")
                failed += 1
    return passed, failed, skipped, failures


def default_dir():
    return Path(os.environ.get("SSPR_CONFORMANCE_DIR") or ROOT / "conformance")


if __name__ == "__main__":
    d = Path(sys.argv[1]) if len(sys.argv) > 1 else default_dir()
    p, f, s, lines = run_dir(d)
    print("\n".join(lines))
    print(f"{p} passed, {f} failed, {s} skipped")
    sys.exit(1 if f else 0)
