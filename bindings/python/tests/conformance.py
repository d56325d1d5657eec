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
ENGLISH = sspr.Catalog("en")


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


FLOW_EXPECT_KEYS = [
    "state", "options", "gate", "questions", "rejection", "sent", "retry_after",
    "registration_required", "reconfirm_due", "registered", "password_is",
    "must_change_password", "help_desk", "unavailable", "default_method", "first_option",
    "methods", "may_snooze", "snoozes_left",
]


class FlowWorld:
    """One flow scenario: in-memory ports seeded from the case, an engine, and what the user
    has seen so far (delivered codes, push requests, app secrets, answers)."""

    def __init__(self, case):
        policy = sspr.Policy.from_dict(case.get("policy") or {})
        self.epoch = case.get("epoch", 1750000000)
        self.mem = sspr.MemoryPorts.for_tests(self.epoch, seed=42, captcha_token="pass")
        self.mem.breach.add_common_passwords()
        directory = case.get("directory", {})
        org = directory.get("org_name", "")
        self.engine = sspr.Engine(
            policy,
            self.mem.ports(),
            keys=[("test", bytes([9] * 32))],
            identity_key=bytes([10] * 32),
            issuer=org or "sspr",
            hash_memory_kib=8,
            hash_iterations=1,
            hash_parallelism=1,
        )
        self.answers = {}
        self.app_secrets = {}
        self.usernames = {}
        # Each user's phones (mobile, office) as imported or last registered: what a `choose`
        # types when the screen asks for the whole number.
        self.phones = {}
        for u in directory.get("users", []):
            name = u["username"]
            self.usernames[name.strip().lower()] = name
            self.mem.directory.add_user(
                sspr.DirectoryUser(
                    name,
                    name,
                    first_name=u.get("first_name", ""),
                    last_name=u.get("last_name", ""),
                    org_name=org,
                    groups=u.get("groups", []),
                    admin=u.get("admin", False),
                ),
                u.get("password", ""),
            )
            self.mem.directory.set_history(
                name, [sspr.hash_secret(p, **TEST_HASH) for p in u.get("previous_passwords", [])]
            )
            for refused in u.get("directory_refuses", []):
                self.mem.directory.refuse_password(refused)
            m = u.get("methods", {})
            self.phones[name] = [m.get("mobile"), m.get("office")]
            app = m.get("app")
            if "questions" in m:
                self.answers[name] = dict(m["questions"])
            if app:
                self.app_secrets[name] = app["totp_secret_b32"]
            self.engine.import_security_info(
                name,
                email=m.get("email"),
                mobile=m.get("mobile"),
                office=m.get("office"),
                questions=m.get("questions", {}),
                app_secret_b32=app["totp_secret_b32"] if app else None,
                app_device_id=app.get("device", "") if app else None,
                confirmed_at=u.get("confirmed_at"),
            )
        self.reset_flow = self.reset_user = None
        self.registration_flow = self.registration_user = None
        self.acted_user = None  # the user change_password or help_desk_reset named last
        self.issued_pass = None
        self.recovery = {}  # the recovery codes last shown to each user ($recovery0 … $recovery9)
        self.last_code = self.last_push = self.last_token = self.last_link = None
        self.proof_options = []
        self.approval_shown = None
        self.tokens = {}  # hardware tokens imported, by serial: totp_code's arguments ($token:SERIAL)

    def now(self):
        return self.mem.clock.now()

    def totp_for(self, user, offset):
        secret = self.app_secrets.get(user)
        if secret is None:
            raise ExpectError("no authenticator app for the user")
        return sspr.totp_code(secret, max(0, self.now() + offset * 30))

    def code(self, form, user, app):
        """Resolves a code form: `$delivered`, `$totp`, `$totp±N`, `$token:SERIAL`, `$wrong`,
        `$recoveryN` or a literal."""
        if form == "$delivered":
            return self.last_code
        if form == "$wrong":
            try:
                right = self.totp_for(user, 0) if app else self.last_code
            except ExpectError:
                right = None
            right = right or "12345678"  # a decoy receives nothing: any code is wrong
            return right[:-1] + str((int(right[-1]) + 1) % 10)
        if form.startswith("$recovery"):
            codes = self.recovery.get(user, [])
            n = int(form[9:])
            if n >= len(codes):
                raise ExpectError(f"no recovery code {n} shown to the user")
            return codes[n]
        if form.startswith("$token:"):
            token = self.tokens.get(form[7:])
            if token is None:
                raise ExpectError(f"no token {form[7:]}")
            secret, params = token
            return sspr.totp_code(secret, self.now(), **params)
        if form.startswith("$totp"):
            return self.totp_for(user, int(form[5:] or 0))
        return form

    def user_of(self, identifier):
        return self.usernames.get(identifier.strip().lower())

    def step(self, step):
        self.mem.clock.set(self.epoch + step.get("t", 0))
        op = step.get("do")
        e = self.engine
        seen = {}

        def reset(r):
            v = r.view
            seen.update(
                state=v.state if v else None,
                options=[o.option for o in v.options] if v else None,
                gate=v.gate if v else None,
                questions=len(v.questions) if v else None,
                rejection=r.rejection,
                retry_after=r.retry_after if r.retry_after is not None else (v.retry_after if v else None),
                help_desk=v.help_desk if v else None,
                unavailable=list(v.unavailable) if v else None,
                first_option=v.options[0].option if v and v.options else None,
            )

        def registration(r):
            v = r.view
            seen.update(
                state=v.state if v else None,
                rejection=r.rejection,
                retry_after=r.retry_after,
                registered=list(v.registered) if v else None,
                help_desk=v.help_desk if v else None,
                default_method=v.default_method if v else None,
                methods=[(m.method, m.masked, m.default) for m in v.methods] if v else None,
            )
            return r

        if op == "start_reset":
            r = e.start_reset(step.get("identifier", ""), "pass" if step.get("captcha", True) else "fail")
            if r.view:
                self.reset_flow = r.view.flow_id
                self.last_code = self.last_push = None
            self.reset_user = self.user_of(step.get("identifier", ""))
            reset(r)
        elif op == "choose":
            option = step["option"]
            if option == "$first":
                option = e.reset_view(self.reset_flow).options[0].option
            r = e.choose(self.reset_flow, option)
            if r.view and r.view.state == "confirm_number" and step.get("type_number", True):
                # The whole number: the step's, else the one on file (any valid number for a
                # user without one: a decoy goes on either way).
                mobile, office = self.phones.get(self.reset_user, [None, None])
                number = step.get("number") or (office if option == "office_call" else mobile)
                r = e.confirm_number(self.reset_flow, number or "+14255550123")
            reset(r)
        elif op == "confirm_link":
            form = step["link"]
            token = {"$delivered": self.last_link or "", "$wrong": "not-the-token-that-was-sent"}.get(form, form)
            reset(e.confirm_link(self.reset_flow, token))
        elif op == "confirm_number":
            reset(e.confirm_number(self.reset_flow, step["number"]))
        elif op == "resend":
            reset(e.resend(self.reset_flow))
        elif op == "enter_code":
            app = e.reset_view(self.reset_flow).option == "app_code"
            code = self.code(step["code"], self.reset_user, app) or step["code"]
            reset(e.enter_code(self.reset_flow, code))
        elif op == "answer":
            view = e.reset_view(self.reset_flow)
            known = self.answers.get(self.reset_user, {})
            form = step["answers"]
            if form in ("$correct", "$one_wrong"):
                given = {}
                for i, q in enumerate(view.questions):
                    # Views name a predefined question by its stable id; vectors by its English text.
                    a = known.get(q) or known.get(ENGLISH.question(q), "unknown")
                    given[q] = a + " not" if form == "$one_wrong" and i == 0 else a
            elif isinstance(form, dict):
                given = form
            else:
                raise ExpectError(f"bad answers {form!r}")
            reset(e.answer(self.reset_flow, given))
        elif op == "approve":
            shown = e.reset_view(self.reset_flow).approval_number or 10
            number = approval_number(step.get("number", "$shown"), shown)
            reset(e.approve(self.reset_flow, self.last_push or "", number, step.get("approve", True)))
        elif op == "new_password":
            reset(e.new_password(self.reset_flow, step["password"], step.get("confirm", step["password"])))
        elif op == "unlock":
            reset(e.unlock(self.reset_flow))
        elif op == "cancel":
            reset(e.cancel(self.reset_flow))
        elif op == "sign_in":
            c = e.sign_in_check(step["user"], step["password"])
            seen.update(
                registration_required=c.registration_required,
                reconfirm_due=c.reconfirm_due,
                rejection=c.rejection,
                may_snooze=c.may_snooze,
                snoozes_left=c.snoozes_left,
            )
        elif op == "snooze":
            r = e.snooze_registration(step["user"])
            seen.update(rejection=r.rejection, snoozes_left=r.snoozes_left)
        elif op == "start_registration":
            r = registration(e.start_registration(step["user"], step["password"]))
            if r.view:
                self.registration_flow = r.view.flow_id
                self.registration_user = self.user_of(step["user"])
                self.proof_options = [o.option for o in r.view.proof_options]
                self.last_code = None
        elif op == "prove":
            option = step["option"]
            if option == "$first":
                if not self.proof_options:
                    raise ExpectError("no proof option offered")
                option = self.proof_options[0]
            r = registration(e.prove(self.registration_flow, option))
            self.approval_shown = r.view.approval_number if r.view else None
        elif op == "test_push":
            r = registration(e.test_push(self.registration_flow))
            self.approval_shown = r.view.approval_number if r.view else None
        elif op in ("approve_proof", "approve_app"):
            shown = self.approval_shown or 10
            number = approval_number(step.get("number", "$shown"), shown)
            registration(e.approve_proof(self.registration_flow, self.last_push or "", number, step.get("approve", True)))
        elif op == "report_not_me":
            token = step["token"]
            if token == "$last":
                if self.last_token is None:
                    raise ExpectError("no notice with a token was delivered")
                token = self.last_token
            seen.update(rejection=e.report_not_me(token).rejection)
        elif op == "register_email":
            registration(e.register_email(self.registration_flow, step["address"]))
        elif op == "register_mobile":
            if self.registration_user:
                self.phones.setdefault(self.registration_user, [None, None])[0] = step["number"]
            registration(e.register_mobile(self.registration_flow, step["number"], step.get("via", "text")))
        elif op == "register_office":
            if self.registration_user:
                self.phones.setdefault(self.registration_user, [None, None])[1] = step["number"]
            registration(e.register_office(self.registration_flow, step["number"]))
        elif op == "register_app":
            r = registration(e.register_app(self.registration_flow))
            if r.provisioning and self.registration_user:
                self.app_secrets[self.registration_user] = r.provisioning.secret_b32
        elif op == "register_recovery_codes":
            r = registration(e.register_recovery_codes(self.registration_flow))
            if self.registration_user and r.recovery_codes:
                self.recovery[self.registration_user] = list(r.recovery_codes)
        elif op == "register_questions":
            r = registration(e.register_questions(self.registration_flow, step["answers"]))
            if r.rejection is None and self.registration_user:
                self.answers[self.registration_user] = dict(step["answers"])
        elif op == "verify":
            form = step["code"]
            pending_app = self.registration_user in self.app_secrets
            app = form.startswith("$totp") or (form == "$wrong" and pending_app and self.last_code is None)
            code = self.code(form, self.registration_user, app) or form
            registration(e.verify(self.registration_flow, code))
        elif op == "remove":
            registration(e.remove(self.registration_flow, step["method"]))
        elif op == "set_default":
            registration(e.set_default(self.registration_flow, step["method"]))
        elif op == "registration_resend":
            registration(e.resend_registration(self.registration_flow))
        elif op == "back":
            registration(e.back(self.registration_flow))
        elif op == "import_hardware_token":
            params = dict(algorithm=step.get("algorithm", "SHA1"), digits=step.get("digits", 6),
                          period=step.get("period", 30))
            e.import_hardware_token(step["user"], step.get("actor", "help desk"), step["serial"],
                                    step["secret_b32"], **params)
            self.tokens[step["serial"]] = (step["secret_b32"], params)
        elif op == "activate_token":
            form = step["code"]
            code = self.code(form, self.registration_user, False) or form
            registration(e.activate_token(self.registration_flow, step["serial"], code))
        elif op == "finish":
            registration(e.finish(self.registration_flow))
        elif op == "change_password":
            r = e.change_password(step["user"], step["old"], step["new"], step.get("confirm", step["new"]))
            self.acted_user = self.user_of(step["user"])
            seen.update(rejection=r.rejection, retry_after=r.retry_after, help_desk=r.help_desk)
        elif op == "help_desk_reset":
            e.reset_password_by_help_desk(step["user"], step.get("actor", "help desk"))
            self.acted_user = step["user"]
        elif op == "unblock":
            e.unblock(step["identifier"], step.get("actor", "help desk"))
        elif op == "issue_access_pass":
            issued = e.issue_access_pass(step["user"], step.get("actor", "help desk"), step.get("lifetime_s", 3600),
                                         step.get("one_time", True))
            self.issued_pass = issued.pass_
        elif op == "access_pass":
            form = step["pass"]
            if form == "$issued":
                if self.issued_pass is None:
                    raise ExpectError("no access pass was issued")
                form = self.issued_pass
            registration(e.access_pass(self.registration_flow, form))
        else:
            raise ExpectError(f"unknown operation {op!r}")
        sent = self.mem.notifier.take()
        for m in sent:
            if m.code is not None:
                self.last_code = m.code
            if m.approval_request_id is not None:
                self.last_push = m.approval_request_id
            if m.revoke_token is not None:
                self.last_token = m.revoke_token
            if m.link_token is not None:
                self.last_link = m.link_token
        return seen, sent

    def check(self, expect, seen, sent):
        check_keys(expect, FLOW_EXPECT_KEYS)
        if "state" in expect and seen.get("state") != expect["state"]:
            raise ExpectError(f"state {seen.get('state')}, expected {expect['state']} (rejection {seen.get('rejection')})")
        if "unavailable" in expect and sorted(seen.get("unavailable") or []) != sorted(expect["unavailable"]):
            raise ExpectError(f"unavailable {seen.get('unavailable')}, expected {expect['unavailable']}")
        if "options" in expect and sorted(seen.get("options") or []) != sorted(expect["options"]):
            raise ExpectError(f"options {seen.get('options')}, expected {expect['options']}")
        for key in ("gate", "questions", "retry_after", "registration_required", "reconfirm_due"):
            if key in expect and seen.get(key) != expect[key]:
                raise ExpectError(f"{key} {seen.get(key)}, expected {expect[key]}")
        if "rejection" in expect and seen.get("rejection") != expect["rejection"]:
            raise ExpectError(f"rejection {seen.get('rejection')}, expected {expect['rejection']}")
        if "registered" in expect and sorted(seen.get("registered") or []) != sorted(expect["registered"]):
            raise ExpectError(f"registered {seen.get('registered')}, expected {expect['registered']}")
        if "sent" in expect:
            left = list(sent)
            for want in expect["sent"]:
                match = next(
                    (m for m in left if all(want.get(k, getattr(m, k)) == getattr(m, k) for k in ("channel", "to", "kind"))),
                    None,
                )
                if match is None:
                    raise ExpectError(f"expected message {want} not sent; sent {[(m.channel, m.kind) for m in sent]}")
                left.remove(match)
            if left:
                raise ExpectError(f"{len(left)} unexpected message(s): {[(m.channel, m.kind) for m in left]}")
        for key in ("default_method", "first_option"):
            if key in expect and seen.get(key) != expect[key]:
                raise ExpectError(f"{key} {seen.get(key)}, expected {expect[key]}")
        if "methods" in expect:
            got = seen.get("methods") or []
            want = expect["methods"]
            ok = len(got) == len(want) and all(
                w.get("method") == method
                and ("masked" not in w or w["masked"] == masked)
                and ("default" not in w or w["default"] == default)
                for (method, masked, default), w in zip(got, want)
            )
            if not ok:
                raise ExpectError(f"methods {got}, expected {want}")
        if "may_snooze" in expect and seen.get("may_snooze") != expect["may_snooze"]:
            raise ExpectError(f"may_snooze {seen.get('may_snooze')}, expected {expect['may_snooze']}")
        if "snoozes_left" in expect and seen.get("snoozes_left") != expect["snoozes_left"]:
            raise ExpectError(f"snoozes_left {seen.get('snoozes_left')}, expected {expect['snoozes_left']}")
        if "help_desk" in expect and seen.get("help_desk") != expect["help_desk"]:
            raise ExpectError(f"help_desk {seen.get('help_desk')}, expected {expect['help_desk']}")
        if "must_change_password" in expect:
            user = self.acted_user or self.reset_user or self.registration_user
            if user is None:
                raise ExpectError("must_change_password without a user")
            got = self.mem.directory.must_change_password(user)
            if got != expect["must_change_password"]:
                raise ExpectError(f"must_change_password {got}, expected {expect['must_change_password']}")
        if "password_is" in expect:
            user = self.acted_user or self.reset_user or self.registration_user
            if user is None:
                raise ExpectError("password_is without a user")
            if not self.mem.directory.password_matches(user, expect["password_is"]):
                raise ExpectError("the directory holds a different password")


def approval_number(form, shown):
    """The number a device answers with: `$shown`, `$wrong` (the next one) or a literal."""
    if form == "$shown":
        return shown
    if form == "$wrong":
        return 10 if shown >= 99 else shown + 1
    return form


def run_flow(case):
    world = FlowWorld(case)
    for i, step in enumerate(case["steps"]):
        try:
            seen, sent = world.step(step)
            if "expect" in step:
                world.check(step["expect"], seen, sent)
        except Exception as e:
            raise ExpectError(f"step {i} ({step.get('do')}): {type(e).__name__}: {e}") from e


SUITES = {"policy": run_policy, "hotp": run_hotp, "totp": run_totp, "password": run_password, "flow": run_flow}
NOT_YET: set = set()


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
