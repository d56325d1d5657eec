"""The Flask example of both wizards (examples/python/flask_portal.py), driven over HTTP on a
loopback port: a reset read from the outbox, a wrong code, a weak password, CSRF, cookies and
headers, German, and a registration of an authenticator app."""
import html
import http.cookiejar
import importlib.util
import pathlib
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

flask = pytest.importorskip("flask")
from werkzeug.serving import make_server  # noqa: E402

import sspr  # noqa: E402

EXAMPLE = pathlib.Path(__file__).resolve().parents[3] / "examples" / "python" / "flask_portal.py"


def load_example():
    spec = importlib.util.spec_from_file_location("flask_portal", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Browser:
    """A cookie-keeping client that never follows a redirect on its own."""

    def __init__(self, base):
        self.base = base
        self.jar = http.cookiejar.CookieJar()

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args, **kwargs):
                return None

        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), NoRedirect)
        self.last = ""
        self.headers = {}
        self.urls = []
        self.cookies_set = []

    def request(self, path, data=None):
        url = path if path.startswith("http") else self.base + path
        self.urls.append(url)
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            resp = self.opener.open(urllib.request.Request(url, data=body))
        except urllib.error.HTTPError as e:
            resp = e
        self.headers = dict(resp.headers.items())
        self.cookies_set += resp.headers.get_all("Set-Cookie") or []
        self.last = resp.read().decode()
        if resp.status in (302, 303):
            return self.request(resp.headers["Location"])
        return resp.status, self.last

    def get(self, path):
        return self.request(path)

    def post(self, path, **fields):
        token = re.search(r'name="csrf" value="([^"]+)"', self.last)
        fields.setdefault("csrf", token.group(1) if token else "")
        return self.request(path, fields)


@pytest.fixture()
def portal(tmp_path):
    module = load_example()
    app = module.create_app(str(tmp_path))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield app, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def outbox_code(app):
    sent = app.config["sspr"]["outbox"].sent
    return next(m.code for m in reversed(sent) if m.code)


def start_reset(b, who="alice@contoso.example"):
    b.get("/reset")
    word = re.search(r'id="captcha-word">([^<]+)<', b.last).group(1)
    challenge = re.search(r'name="challenge" value="([^"]+)"', b.last).group(1)
    return b.post("/reset", user=who, challenge=challenge, captcha=word)


def test_a_reset_from_start_to_finish_with_a_wrong_code_and_a_weak_password(portal):
    app, base = portal
    b = Browser(base)
    status, page = start_reset(b)
    assert status == 200 and "verification step 1 of 1" in page
    assert 'name="option" value="email"' in page
    # Methods the policy allows that alice has not set up are listed, marked, never hidden.
    assert "app_code (not set up)" in page and "security_questions (not set up)" in page
    flow_cookie = next(c for c in b.jar if c.name == "sspr_flow")
    assert flow_cookie.has_nonstandard_attr("HttpOnly")
    flow_set = [c for c in b.cookies_set if c.startswith("sspr_flow=")]
    assert flow_set and all("HttpOnly" in c and "SameSite=Strict" in c and "Path=/" in c for c in flow_set)
    b.post("/reset/step", do="choose", option="email")
    assert "Enter your verification code" in b.last
    b.post("/reset/step", do="enter_code", code="00000000")
    assert html.escape(sspr.Catalog("en").reason("code.mismatch")) in b.last
    b.post("/reset/step", do="enter_code", code=outbox_code(app))
    assert "Choose a new password" in b.last
    b.post("/reset/step", do="new_password", password="password123", confirm="password123")
    assert 'role="alert"' in b.last
    b.get("/reset/step")
    b.post("/reset/step", do="new_password", password="Quiet-Lantern-Meadow-42", confirm="Quiet-Lantern-Meadow-42")
    assert "Your password has been reset." in b.last
    assert app.config["sspr"]["directory"].check_password("u-alice", "Quiet-Lantern-Meadow-42")
    # The flow id (a bearer token) never appeared in a URL or a page.
    assert all(flow_cookie.value not in u for u in b.urls)
    assert flow_cookie.value not in b.last


def test_the_number_is_typed_before_a_text(portal):
    app, base = portal
    b = Browser(base)
    start_reset(b)
    b.post("/reset/step", do="choose", option="mobile_text")
    assert "enter your complete phone number" in b.last
    b.post("/reset/step", do="confirm_number", number="+1 (425) 555-0100")
    assert "Enter your verification code" in b.last
    assert app.config["sspr"]["outbox"].sent[-1].channel == "sms"


def test_forms_need_the_csrf_token_and_pages_carry_the_headers(portal):
    app, base = portal
    b = Browser(base)
    status, _ = b.get("/reset")
    assert status == 200
    assert b.headers["X-Frame-Options"] == "DENY"
    assert b.headers["Referrer-Policy"] == "no-referrer"
    assert "frame-ancestors 'none'" in b.headers["Content-Security-Policy"]
    assert b.headers["X-Content-Type-Options"] == "nosniff"
    status, _ = b.request("/reset", {"user": "alice@contoso.example", "csrf": "forged"})
    assert status == 400
    status, _ = b.request("/reset", {"user": "alice@contoso.example"})
    assert status == 400


def test_an_unknown_user_walks_the_same_pages_and_german_is_spoken(portal):
    app, base = portal
    b = Browser(base)
    b.get("/reset?lng=de")
    assert "Wer sind Sie?" in b.last and 'lang="de"' in b.last
    for i in range(20):  # an unknown user whose screen offers a code
        start_reset(b, f"nobody{i}@contoso.example")
        assert "Überprüfungsschritt 1 von" in b.last
        offered = re.findall(r'name="option" value="([a-z_]+)"', b.last)
        codes = [o for o in offered if o in ("email", "mobile_text", "mobile_call", "app_code")]
        if codes:
            break
    b.post("/reset/step", do="choose", option=codes[0])
    if "Telefonnummer" in b.last:
        b.post("/reset/step", do="confirm_number", number="+14255550123")
    b.post("/reset/step", do="enter_code", code="12345678")
    assert html.escape(sspr.Catalog("de").reason("code.mismatch")) in b.last
    assert app.config["sspr"]["outbox"].sent == []


def test_an_expired_session_says_so(portal):
    app, base = portal
    b = Browser(base)
    b.jar.set_cookie(http.cookiejar.Cookie(
        0, "sspr_flow", "not-a-flow", None, False, "127.0.0.1", False, False, "/", True, False,
        None, False, None, None, {"HttpOnly": None}))
    status, page = b.get("/reset/step")
    assert status == 404 and "Your session has expired" in page


def test_registering_an_authenticator_app_and_recovery_codes(portal):
    app, base = portal
    b = Browser(base)
    b.get("/security-info")
    b.post("/security-info", user="alice@contoso.example", password="Winter-Lantern-58")
    assert 'value="email"' in b.last
    b.post("/security-info/step", do="prove", option="email")
    b.post("/security-info/step", do="verify", code=outbox_code(app))
    assert "Your security info" in b.last
    b.post("/security-info/step", do="app")
    secret = re.search(r'<code id="secret">([A-Z2-7]+)</code>', b.last).group(1)
    assert "<svg" in b.last
    b.post("/security-info/step", do="verify", code=sspr.totp_code(secret, int(time.time())))
    assert "<li>app_code" in b.last
    b.post("/security-info/step", do="recovery")
    codes = re.findall(r"<li><code>([0-9A-Z]{5}-[0-9A-Z]{5})</code></li>", b.last)
    assert len(codes) == 10
    b.get("/security-info/step")
    assert codes[0] not in b.last, "shown once"
    b.post("/security-info/step", do="finish")
    assert "Success!" in b.last and "(default)" in b.last
