"""Both wizards on Flask: "get back into your account" and "keep your account secure".

A small web front end over sspr's Python package, using the shipped SQLite stores and the
shipped catalogs for every word sspr says (reasons, questions, password feedback). Pages are
plain HTML forms: they work without JavaScript.

Run: `python examples/python/flask_portal.py` (after `pip install flask` and installing sspr),
then open the address it prints. Demo users: alice@contoso.example / Winter-Lantern-58 (an
alternate email and a mobile phone) and ben@contoso.example / Harbour-Kettle-31 (an
administrator). Messages are not sent anywhere: the dev mailbox page shows them.

What a real host keeps from here: the flow id lives only in an HttpOnly, SameSite=Strict
cookie; every form carries a CSRF token compared in constant time; every response carries the
security headers; the client address goes to the engine; the language comes from `?lng=`.
What it replaces: the demo CAPTCHA (use a real CAPTCHA service behind the `CaptchaVerifier`
port), the in-process directory and outbox (its directory and its mail/SMS providers), and the
random keys made at start (keys from a secret store, kept across restarts).
"""
from __future__ import annotations

import hmac
import html
import os
import secrets
import sys
import tempfile
import threading
from typing import Dict, List, Optional, Tuple

from flask import Flask, Response, make_response, redirect, request
from werkzeug.wrappers.response import Response as BaseResponse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import sspr  # noqa: E402
from dict_ports import Directory  # noqa: E402

POLICY = """
[reset]
methods = ["email", "mobile_phone", "app_code", "security_questions", "recovery_codes"]
methods_required = 1

[registration]
reconfirm_days = 180
"""

# The portal's own words (sspr's come from sspr.Catalog), in the shipped languages.
WORDS: Dict[str, Dict[str, str]] = {
    "en": {
        "reset_title": "Get back into your account",
        "who": "Who are you?",
        "user_id": "Email or username",
        "captcha": "Enter the characters in the picture",
        "next": "Next",
        "step": "verification step {gate} of {gates}",
        "choose": "Choose the contact method we should use for verification:",
        "not_set_up": "not set up",
        "number": "To protect your account, enter your complete phone number below.",
        "code": "Enter your verification code",
        "resend": "Resend",
        "answer": "Answer your security questions",
        "approve": "Approve the sign-in request on your authenticator app. Number shown:",
        "new_password": "Choose a new password",
        "confirm": "Confirm new password",
        "done": "Your password has been reset.",
        "blocked": "You can't reset your password right now. Try again later.",
        "expired": "Your session has expired. Start over.",
        "help": "Contact your administrator:",
        "secure_title": "Keep your account secure",
        "sign_in": "Sign in",
        "password": "Password",
        "prove": "First, prove it's you with a method you already have:",
        "methods": "Your security info",
        "add_email": "Add an alternate email",
        "add_app": "Set up an authenticator app",
        "qr": "Scan the QR code, or enter this key in the app:",
        "recovery": "Make recovery codes",
        "recovery_shown": "Write these down now; they will not be shown again:",
        "finish": "Done",
        "success": "Success! Your security info is set up:",
        "default": "default",
        "mailbox": "Dev mailbox",
    },
    "de": {
        "reset_title": "Zurück in Ihr Konto",
        "who": "Wer sind Sie?",
        "user_id": "E-Mail oder Benutzername",
        "captcha": "Geben Sie die Zeichen im Bild ein",
        "next": "Weiter",
        "step": "Überprüfungsschritt {gate} von {gates}",
        "choose": "Wählen Sie die Kontaktmethode, die wir zur Überprüfung verwenden sollen:",
        "not_set_up": "nicht eingerichtet",
        "number": "Geben Sie zum Schutz Ihres Kontos unten Ihre vollständige Telefonnummer ein.",
        "code": "Geben Sie Ihren Prüfcode ein",
        "resend": "Erneut senden",
        "answer": "Beantworten Sie Ihre Sicherheitsfragen",
        "approve": "Genehmigen Sie die Anmeldeanforderung in Ihrer Authenticator-App. Angezeigte Zahl:",
        "new_password": "Neues Kennwort wählen",
        "confirm": "Neues Kennwort bestätigen",
        "done": "Ihr Kennwort wurde zurückgesetzt.",
        "blocked": "Sie können Ihr Kennwort gerade nicht zurücksetzen. Versuchen Sie es später erneut.",
        "expired": "Ihre Sitzung ist abgelaufen. Beginnen Sie erneut.",
        "help": "Wenden Sie sich an Ihren Administrator:",
        "secure_title": "Schützen Sie Ihr Konto",
        "sign_in": "Anmelden",
        "password": "Kennwort",
        "prove": "Bestätigen Sie zuerst mit einer vorhandenen Methode, dass Sie es sind:",
        "methods": "Ihre Sicherheitsinformationen",
        "add_email": "Alternative E-Mail-Adresse hinzufügen",
        "add_app": "Authenticator-App einrichten",
        "qr": "Scannen Sie den QR-Code, oder geben Sie diesen Schlüssel in der App ein:",
        "recovery": "Wiederherstellungscodes erstellen",
        "recovery_shown": "Notieren Sie diese jetzt; sie werden nicht noch einmal angezeigt:",
        "finish": "Fertig",
        "success": "Erfolg! Ihre Sicherheitsinformationen sind eingerichtet:",
        "default": "Standard",
        "mailbox": "Entwickler-Postfach",
    },
}

FLOW_COOKIE = "sspr_flow"
REG_COOKIE = "sspr_registration"
CSRF_COOKIE = "sspr_csrf"
LANG_COOKIE = "sspr_lng"


class Outbox:
    """The notifier: keeps every message for the dev mailbox (a real host sends them)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.sent: List[sspr.Message] = []

    def deliver(self, message: sspr.Message) -> None:
        with self.lock:
            self.sent.append(message)


class DemoCaptcha:
    """A demo CAPTCHA: a random word to type back, once. Replace it with a real service."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.open: Dict[str, str] = {}

    def issue(self) -> Tuple[str, str]:
        challenge, word = secrets.token_urlsafe(12), secrets.token_hex(3)
        with self.lock:
            self.open[challenge] = word
        return challenge, word

    def verify(self, response: str, client: Optional[str]) -> bool:
        challenge, _, typed = response.partition(":")
        with self.lock:
            word = self.open.pop(challenge, None)
        return word is not None and hmac.compare_digest(word, typed.strip().lower())


def create_app(data_dir: Optional[str] = None) -> Flask:
    """The portal over SQLite stores in `data_dir` (a new temporary folder when absent)."""
    data_dir = data_dir or tempfile.mkdtemp(prefix="sspr-flask-")
    directory, outbox, captcha = Directory(), Outbox(), DemoCaptcha()
    stores = sspr.SqliteStores(os.path.join(data_dir, "sspr.sqlite3"))
    ports = sspr.Ports(
        directory=directory,
        security_info=stores.security_info,
        flows=stores.flows,
        counters=stores.counters,
        consume_once=stores.consume_once,
        notifier=outbox,
        captcha=captcha,
        audit=stores.audit,
    )
    engine = sspr.Engine(
        sspr.Policy.from_toml(POLICY),
        ports,
        keys=[("demo", os.urandom(32))],  # demo only: keys from a secret store in production
        identity_key=os.urandom(32),
        issuer="Contoso",
        hash_memory_kib=1024,  # demo only: keep the OWASP defaults in production
        hash_iterations=1,
    )
    directory.add(sspr.DirectoryUser("u-alice", "alice@contoso.example", first_name="Alice",
                                     last_name="Smith", org_name="Contoso"), "Winter-Lantern-58")
    directory.add(sspr.DirectoryUser("u-ben", "ben@contoso.example", first_name="Ben",
                                     last_name="Okafor", org_name="Contoso", admin=True), "Harbour-Kettle-31")
    engine.import_security_info("u-alice", email="alice.smith@fabrikam.example", mobile="+14255550100")
    engine.import_security_info("u-ben", email="ben.okafor@fabrikam.example", mobile="+442071838750")

    app = Flask(__name__)
    app.config["sspr"] = {"engine": engine, "outbox": outbox, "captcha": captcha, "directory": directory}

    def lang() -> str:
        wanted = request.args.get("lng") or request.cookies.get(LANG_COOKIE) or "en"
        return wanted if wanted in WORDS else "en"

    def words() -> Dict[str, str]:
        return WORDS[lang()]

    def catalog() -> sspr.Catalog:
        return sspr.Catalog(lang())

    def csrf_token() -> str:
        return request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(24)

    def page(title: str, body: str, status: int = 200) -> Response:
        token = csrf_token()
        doc = (f'<!doctype html><html lang="{lang()}"><head><meta charset="utf-8">'
               f"<title>{html.escape(title)}</title></head><body><main><h1>{html.escape(title)}</h1>"
               f"{body.replace('{csrf}', html.escape(token))}</main></body></html>")
        resp = make_response(doc, status)
        resp.set_cookie(CSRF_COOKIE, token, httponly=True, samesite="Strict")
        resp.set_cookie(LANG_COOKIE, lang(), httponly=True, samesite="Strict")
        return resp

    def form(fields: str, button: str) -> str:
        return (f'<form method="post"><input type="hidden" name="csrf" value="{{csrf}}">'
                f'{fields}<button type="submit">{html.escape(button)}</button></form>')

    def field(name: str, label: str, kind: str = "text") -> str:
        return (f'<p><label for="{name}">{html.escape(label)}</label> '
                f'<input id="{name}" name="{name}" type="{kind}" autocomplete="off"></p>')

    def said(rejection: Optional[str]) -> str:
        if rejection is None:
            return ""
        return f'<p role="alert">{html.escape(catalog().reason(rejection) or rejection)}</p>'

    @app.before_request
    def check_csrf() -> Optional[Response]:
        if request.method == "POST":
            sent, kept = request.form.get("csrf", ""), request.cookies.get(CSRF_COOKIE, "")
            if not kept or not hmac.compare_digest(sent.encode(), kept.encode()):
                return make_response("CSRF token missing or wrong", 400)
        return None

    @app.after_request
    def headers(resp: Response) -> Response:
        resp.headers["Content-Security-Policy"] = "default-src 'self'; frame-ancestors 'none'"
        resp.headers["Referrer-Policy"] = "no-referrer"
        resp.headers["X-Frame-Options"] = "DENY"
        resp.headers["X-Content-Type-Options"] = "nosniff"
        resp.headers["Cache-Control"] = "no-store"
        return resp

    def go(to: str, rejection: Optional[str] = None) -> Response:
        target = to + (f"?said={rejection}" if rejection else "")
        resp: BaseResponse = redirect(target, 303)
        return make_response(resp)

    # ----- reset: "get back into your account" -----

    @app.get("/reset")
    def reset_start() -> Response:
        w = words()
        challenge, word = captcha.issue()
        body = (f"<h2>{w['who']}</h2>" + said(request.args.get("said")) + form(
            field("user", w["user_id"]) + f'<p>{w["captcha"]}: <strong id="captcha-word">{word}</strong></p>'
            + f'<input type="hidden" name="challenge" value="{challenge}">' + field("captcha", w["captcha"]),
            w["next"]))
        return page(w["reset_title"], body)

    @app.post("/reset")
    def reset_begin() -> Response:
        response = f"{request.form.get('challenge', '')}:{request.form.get('captcha', '')}"
        r = engine.start_reset(request.form.get("user", ""), response, request.remote_addr)
        if r.view is None:
            return go("/reset", r.rejection)
        resp = go("/reset/step", r.rejection)
        resp.set_cookie(FLOW_COOKIE, r.view.flow_id, httponly=True, samesite="Strict", path="/")
        return resp

    def reset_flow() -> Optional[str]:
        return request.cookies.get(FLOW_COOKIE)

    @app.get("/reset/step")
    def reset_page() -> Response:
        w, flow = words(), reset_flow()
        if flow is None:
            return go("/reset")
        try:
            v = engine.reset_view(flow)
        except sspr.FlowNotFoundError:
            return page(w["reset_title"], f"<p>{w['expired']}</p>", 404)
        top = said(request.args.get("said")) + f"<p>{w['step'].format(gate=v.gate, gates=v.gates)}</p>"
        help_desk = f"<p>{w['help']} {html.escape(v.help_desk)}</p>" if v.help_desk else ""
        if v.state == "choose_method":
            radios = "".join(
                f'<p><input type="radio" id="o-{o.option}" name="option" value="{o.option}">'
                f'<label for="o-{o.option}">{o.option} {html.escape(o.masked or "")}</label></p>'
                for o in v.options)
            radios += "".join(
                f'<p><input type="radio" id="o-{u}" disabled><label for="o-{u}">{u} ({w["not_set_up"]})</label></p>'
                for u in v.unavailable)
            body = f"<p>{w['choose']}</p>" + form('<input type="hidden" name="do" value="choose">' + radios, w["next"])
        elif v.state == "confirm_number":
            body = form('<input type="hidden" name="do" value="confirm_number">' + field("number", w["number"], "tel"),
                        w["next"])
        elif v.state == "enter_code":
            body = (form('<input type="hidden" name="do" value="enter_code">' + field("code", w["code"]), w["next"])
                    + form('<input type="hidden" name="do" value="resend">', w["resend"]))
        elif v.state == "answer_questions":
            qs = "".join(field(f"q{i}", catalog().question(q)) + f'<input type="hidden" name="qid{i}" value="{html.escape(q)}">'
                         for i, q in enumerate(v.questions))
            body = f"<p>{w['answer']}</p>" + form('<input type="hidden" name="do" value="answer">' + qs, w["next"])
        elif v.state == "await_approval":
            body = f"<p>{w['approve']} <strong>{v.approval_number}</strong></p>"
        elif v.state in ("new_password", "setting_password"):
            body = form('<input type="hidden" name="do" value="new_password">'
                        + field("password", w["new_password"], "password")
                        + field("confirm", w["confirm"], "password"), w["next"])
        elif v.state == "completed":
            body = f"<p>{w['done']}</p>"
        elif v.state == "blocked":
            body = f"<p>{w['blocked']}</p>"
        else:
            body = f"<p>{w['expired']}</p>"
        return page(w["reset_title"], top + body + help_desk)

    @app.post("/reset/step")
    def reset_step() -> Response:
        flow = reset_flow()
        if flow is None:
            return go("/reset")
        f, do = request.form, request.form.get("do", "")
        try:
            if do == "choose":
                r = engine.choose(flow, f.get("option", ""))  # type: ignore[arg-type]
            elif do == "confirm_number":
                r = engine.confirm_number(flow, f.get("number", ""))
            elif do == "enter_code":
                r = engine.enter_code(flow, f.get("code", ""))
            elif do == "resend":
                r = engine.resend(flow)
            elif do == "answer":
                given = {f[k]: f.get(f"q{k[3:]}", "") for k in f if k.startswith("qid")}
                r = engine.answer(flow, given)
            elif do == "new_password":
                r = engine.new_password(flow, f.get("password", ""), f.get("confirm", ""))
                if r.password is not None and r.rejection is not None:
                    ids = ([r.password.warning] if r.password.warning else []) + r.password.suggestions
                    tips = " ".join(catalog().feedback(t) or t for t in ids)
                    return go("/reset/step", r.rejection) if not tips else page(
                        words()["new_password"], said(r.rejection) + f"<p>{html.escape(tips)}</p>"
                        + '<p><a href="/reset/step">OK</a></p>', 200)
            else:
                return make_response("unknown step", 400)
        except (sspr.InputError, ValueError) as e:
            return make_response(f"bad input: {type(e).__name__}", 400)
        return go("/reset/step", r.rejection)

    # ----- registration: "keep your account secure" -----

    @app.get("/security-info")
    def secure_start() -> Response:
        w = words()
        body = said(request.args.get("said")) + form(
            field("user", w["user_id"]) + field("password", w["password"], "password"), w["sign_in"])
        return page(w["secure_title"], body)

    @app.post("/security-info")
    def secure_begin() -> Response:
        r = engine.start_registration(request.form.get("user", ""), request.form.get("password", ""))
        if r.view is None:
            return go("/security-info", r.rejection)
        resp = go("/security-info/step", r.rejection)
        resp.set_cookie(REG_COOKIE, r.view.flow_id, httponly=True, samesite="Strict", path="/")
        return resp

    shown_once: Dict[str, Tuple[Optional[sspr.Provisioning], List[str]]] = {}

    @app.get("/security-info/step")
    def secure_page() -> Response:
        w, flow = words(), request.cookies.get(REG_COOKIE)
        if flow is None:
            return go("/security-info")
        try:
            v = engine.registration_view(flow)
        except sspr.FlowNotFoundError:
            return page(w["secure_title"], f"<p>{w['expired']}</p>", 404)
        top = said(request.args.get("said"))
        provisioning, codes = shown_once.pop(flow, (None, []))
        if v.state == "prove_identity":
            radios = "".join(
                f'<p><input type="radio" id="p-{o.option}" name="option" value="{o.option}">'
                f'<label for="p-{o.option}">{o.option} {html.escape(o.masked or "")}</label></p>'
                for o in v.proof_options)
            body = f"<p>{w['prove']}</p>" + form('<input type="hidden" name="do" value="prove">' + radios, w["next"])
        elif v.state in ("proving", "verifying"):
            extra = ""
            if provisioning is not None:
                extra = (f'<figure>{provisioning.qr_svg or ""}</figure><p>{w["qr"]} '
                         f'<code id="secret">{html.escape(provisioning.secret_b32)}</code></p>')
            body = extra + form('<input type="hidden" name="do" value="verify">' + field("code", w["code"]), w["next"])
        elif v.state in ("registering", "reconfirm"):
            listed = "".join(
                f"<li>{m.method} {html.escape(m.masked or '')}{' (' + w['default'] + ')' if m.default else ''}</li>"
                for m in v.methods)
            shown = ""
            if codes:
                shown = f"<p>{w['recovery_shown']}</p><ul id=\"recovery\">" + "".join(
                    f"<li><code>{html.escape(c)}</code></li>" for c in codes) + "</ul>"
            body = (shown + f"<h2>{w['methods']}</h2><ul>{listed}</ul>"
                    + form('<input type="hidden" name="do" value="email">' + field("email", w["add_email"], "email"),
                           w["add_email"])
                    + form('<input type="hidden" name="do" value="app">', w["add_app"])
                    + form('<input type="hidden" name="do" value="recovery">', w["recovery"])
                    + form('<input type="hidden" name="do" value="finish">', w["finish"]))
        elif v.state == "done":
            listed = "".join(
                f"<li>{m.method} {html.escape(m.masked or '')}{' (' + w['default'] + ')' if m.default else ''}</li>"
                for m in v.methods)
            body = f"<p>{w['success']}</p><ul>{listed}</ul>"
        else:
            body = f"<p>{w['expired']}</p>"
        return page(w["secure_title"], top + body)

    @app.post("/security-info/step")
    def secure_step() -> Response:
        flow = request.cookies.get(REG_COOKIE)
        if flow is None:
            return go("/security-info")
        f, do = request.form, request.form.get("do", "")
        try:
            if do == "prove":
                r = engine.prove(flow, f.get("option", ""))  # type: ignore[arg-type]
            elif do == "verify":
                r = engine.verify(flow, f.get("code", ""))
            elif do == "email":
                r = engine.register_email(flow, f.get("email", ""))
            elif do == "app":
                r = engine.register_app(flow)
                shown_once[flow] = (r.provisioning, [])
            elif do == "recovery":
                r = engine.register_recovery_codes(flow)
                shown_once[flow] = (None, list(r.recovery_codes))
            elif do == "finish":
                r = engine.finish(flow)
            else:
                return make_response("unknown step", 400)
        except (sspr.InputError, ValueError) as e:
            return make_response(f"bad input: {type(e).__name__}", 400)
        return go("/security-info/step", r.rejection)

    @app.get("/dev/mailbox")
    def mailbox() -> Response:
        with outbox.lock:
            sent = list(reversed(outbox.sent))
        rows = "".join(
            f"<li>{m.channel} to {html.escape(m.to)}: {m.kind}"
            f"{' <code class=code>' + html.escape(m.code) + '</code>' if m.code else ''}</li>" for m in sent)
        return page(words()["mailbox"], f"<ul>{rows}</ul>")

    return app


if __name__ == "__main__":
    portal = create_app()
    print("sspr on Flask: http://127.0.0.1:5000/reset  and  http://127.0.0.1:5000/security-info")
    print("demo users: alice@contoso.example / Winter-Lantern-58, ben@contoso.example / Harbour-Kettle-31")
    portal.run(host="127.0.0.1", port=5000)
