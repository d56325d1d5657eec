//! The JSON API over HTTP with a cookie-keeping client: alice resets her password, carol
//! registers the authenticator app and an email, and the OpenAPI document lists every route.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use hmac::{KeyInit, Mac};
use reqwest::cookie::{CookieStore, Jar};
use serde_json::{Value, json};
use sspr_portal::{Config, Running};

struct Api {
    running: Running,
    jar: Arc<Jar>,
    client: reqwest::Client,
    csrf: String,
    /// Every body received, to check no flow id appears in them.
    seen: Vec<String>,
}

impl Api {
    async fn start() -> Self {
        let running = sspr_portal::start(Config {
            listen: "127.0.0.1:0".parse().unwrap(),
            demo: true,
            ..Config::default()
        })
        .await
        .unwrap();
        let jar = Arc::new(Jar::default());
        let client = reqwest::Client::builder()
            .cookie_provider(jar.clone())
            .build()
            .unwrap();
        let url = format!("{}/api/v1/csrf", running.url());
        let r: Value = client.get(url).send().await.unwrap().json().await.unwrap();
        let csrf = r["csrf_token"].as_str().unwrap().to_owned();
        Self {
            running,
            jar,
            client,
            csrf,
            seen: Vec::new(),
        }
    }

    fn cookie(&self, name: &str) -> Option<String> {
        let header = self.jar.cookies(&self.running.url().parse().unwrap())?;
        header
            .to_str()
            .unwrap()
            .split("; ")
            .find_map(|kv| kv.strip_prefix(&format!("{name}=")).map(str::to_owned))
    }

    async fn get(&mut self, path: &str) -> (u16, Value) {
        let r = self
            .client
            .get(format!("{}{path}", self.running.url()))
            .send()
            .await
            .unwrap();
        self.read(r).await
    }

    async fn post(&mut self, path: &str, body: Value) -> (u16, Value) {
        let r = self
            .client
            .post(format!("{}{path}", self.running.url()))
            .header("X-CSRF-Token", &self.csrf)
            .json(&body)
            .send()
            .await
            .unwrap();
        self.read(r).await
    }

    async fn read(&mut self, r: reqwest::Response) -> (u16, Value) {
        let status = r.status().as_u16();
        assert!(
            r.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("application/json")
        );
        let text = r.text().await.unwrap();
        self.seen.push(text.clone());
        (status, serde_json::from_str(&text).unwrap())
    }

    fn code_to(&self, to: &str) -> String {
        let m = self.running.app.mailbox.as_ref().unwrap().latest_to(to);
        m.expect("a message")
            .code
            .expect("a code")
            .expose()
            .to_owned()
    }

    fn assert_no_flow_id_seen(&self, flow: &str) {
        assert!(flow.len() > 16);
        for s in &self.seen {
            assert!(!s.contains(flow), "a flow id appeared in a body");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alice_resets_her_password_through_the_api() {
    let mut api = Api::start().await;
    // CSRF: no header, or a wrong one, is refused before anything runs.
    let r = api
        .client
        .post(format!("{}/api/v1/reset", api.running.url()))
        .json(&json!({"identifier": "alice@contoso.example", "captcha": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403);
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "csrf_refused");
    // No flow yet.
    let (status, body) = api.get("/api/v1/reset").await;
    assert_eq!(
        (status, body["error"].as_str()),
        (404, Some("flow_not_found"))
    );
    let (status, body) = api.post("/api/v1/reset/resend", json!({})).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (404, Some("flow_not_found"))
    );

    // A wrong CAPTCHA, then the right one.
    api.client
        .get(format!("{}/captcha.png", api.running.url()))
        .send()
        .await
        .unwrap();
    let (status, body) = api
        .post(
            "/api/v1/reset",
            json!({"identifier": "alice@contoso.example", "captcha": "wrong"}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"], "rejected");
    assert!(body["rejection"].is_string());
    api.client
        .get(format!("{}/captcha.png", api.running.url()))
        .send()
        .await
        .unwrap();
    let sealed = api.cookie("sspr_captcha").expect("a sealed challenge");
    let answer = api
        .running
        .app
        .captcha
        .answer(&api.csrf, &sealed)
        .unwrap()
        .unwrap();
    let (status, body) = api
        .post(
            "/api/v1/reset",
            json!({"identifier": "alice@contoso.example", "captcha": answer.to_lowercase()}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["view"]["state"], "choose_method");
    assert!(body["view"].get("flow_id").is_none());
    let flow = api.cookie("sspr_reset").expect("the flow cookie");

    let (_, view) = api.get("/api/v1/reset").await;
    assert_eq!(view["state"], "choose_method");
    assert_eq!(view["gate"], 1);
    assert!(view.get("flow_id").is_none());

    // Malformed bodies are 400 with a stable id.
    let (status, body) = api
        .post("/api/v1/reset/choose", json!({"option": "nope"}))
        .await;
    assert_eq!((status, body["error"].as_str()), (400, Some("bad_request")));
    let (status, body) = api.post("/api/v1/reset/choose", json!([1, 2])).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("bad_request")));

    let (status, body) = api
        .post("/api/v1/reset/choose", json!({"option": "email"}))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["view"]["state"], "enter_code");
    let (status, body) = api
        .post("/api/v1/reset/code", json!({"code": "00000000"}))
        .await;
    assert_eq!(status, 422);
    assert_eq!(body["rejection"], "code.mismatch");
    let code = api.code_to("alice.smith@fabrikam.example");
    let (_, body) = api.post("/api/v1/reset/code", json!({"code": code})).await;
    assert_eq!(body["view"]["gate"], 2, "{body}");

    let (_, body) = api
        .post("/api/v1/reset/choose", json!({"option": "mobile_text"}))
        .await;
    assert_eq!(body["view"]["state"], "confirm_number", "{body}");
    let (_, body) = api
        .post(
            "/api/v1/reset/confirm-number",
            json!({"number": "+14255550100"}),
        )
        .await;
    assert_eq!(body["view"]["state"], "enter_code", "{body}");
    let code = api.code_to("+14255550100");
    let (_, body) = api.post("/api/v1/reset/code", json!({"code": code})).await;
    assert_eq!(body["view"]["state"], "new_password", "{body}");
    let (status, body) = api
        .post(
            "/api/v1/reset/password",
            json!({"password": "contoso1", "confirm": "contoso1"}),
        )
        .await;
    assert_eq!(status, 422);
    assert!(body["password"].is_object());
    let p = "quiet lantern orchard 4417";
    let (status, body) = api
        .post(
            "/api/v1/reset/password",
            json!({"password": p, "confirm": p}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["view"]["state"], "completed");
    // The flow cookie is gone with the finished flow.
    assert!(api.cookie("sspr_reset").is_none());
    api.assert_no_flow_id_seen(&flow);
    api.running.stop().await.unwrap();
}

/// RFC 6238 with SHA-1, 6 digits, 30 seconds.
fn totp(secret_b32: &str, now: u64) -> String {
    let key = data_encoding::BASE32_NOPAD
        .decode(secret_b32.trim_end_matches('=').as_bytes())
        .unwrap();
    let mut mac = hmac::Hmac::<sha1::Sha1>::new_from_slice(&key).unwrap();
    mac.update(&(now / 30).to_be_bytes());
    let h = mac.finalize().into_bytes();
    let o = usize::from(h[19] & 0x0f);
    let n = u32::from_be_bytes([h[o] & 0x7f, h[o + 1], h[o + 2], h[o + 3]]) % 1_000_000;
    format!("{n:06}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn carol_registers_through_the_api() {
    let mut api = Api::start().await;
    let carol = json!({"username": "carol@contoso.example", "password": "Meadow-Copper-41"});
    let (status, body) = api.post("/api/v1/sign-in-check", carol.clone()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["registration_required"], true);
    let (status, body) = api
        .post(
            "/api/v1/registration",
            json!({"username": "carol@contoso.example", "password": "wrong"}),
        )
        .await;
    assert_eq!(
        (status, body["rejection"].as_str()),
        (422, Some("reauth.failed"))
    );
    let (status, body) = api.post("/api/v1/registration", carol).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["view"]["state"], "registering");
    let flow = api.cookie("sspr_reg").expect("the flow cookie");

    let (status, body) = api.post("/api/v1/registration/app", json!({})).await;
    assert_eq!(status, 200, "{body}");
    let secret = body["provisioning"]["secret_b32"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(body["provisioning"]["qr_svg"].is_string());
    // Shown once: the view has no provisioning.
    let (_, view) = api.get("/api/v1/registration").await;
    assert_eq!(view["state"], "verifying");
    assert!(view.get("provisioning").is_none());
    let now = sspr_core::memory::SystemClock;
    let code = totp(&secret, sspr_core::ports::Clock::now(&now).unwrap());
    let (status, body) = api
        .post("/api/v1/registration/verify", json!({"code": code}))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["view"]["state"], "registering");

    let (_, body) = api
        .post(
            "/api/v1/registration/email",
            json!({"email": "carol.white@fabrikam.example"}),
        )
        .await;
    assert_eq!(body["view"]["pending"], "email", "{body}");
    let (_, body) = api.post("/api/v1/registration/back", json!({})).await;
    assert_eq!(body["view"]["state"], "registering", "{body}");
    let (_, body) = api
        .post(
            "/api/v1/registration/email",
            json!({"email": "carol.white@fabrikam.example"}),
        )
        .await;
    assert_eq!(
        (body["rejection"].as_str(), body["retry_after"].as_u64()),
        (Some("send.cooldown"), Some(30)),
        "{body}"
    );
    let (_, body) = api
        .post(
            "/api/v1/registration/mobile-phone",
            json!({"number": "+14255550177", "via": "text"}),
        )
        .await;
    assert_eq!(body["view"]["pending"], "mobile_phone", "{body}");
    let code = api.code_to("+14255550177");
    let (_, body) = api
        .post("/api/v1/registration/verify", json!({"code": code}))
        .await;
    assert_eq!(body["view"]["still_needed"], 0, "{body}");
    let (status, body) = api
        .post(
            "/api/v1/registration/default",
            json!({"method": "mobile_phone"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["view"]["default_method"], "mobile_phone");

    let (status, body) = api
        .post("/api/v1/registration/recovery-codes", json!({}))
        .await;
    if status == 200 {
        assert!(!body["recovery_codes"].as_array().unwrap().is_empty());
    }
    let (status, body) = api.post("/api/v1/registration/finish", json!({})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["view"]["state"], "done");
    assert!(api.cookie("sspr_reg").is_none());
    let (status, _) = api.get("/api/v1/registration").await;
    assert_eq!(status, 404);
    api.assert_no_flow_id_seen(&flow);
    api.running.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alice_changes_her_password_and_reports_it_through_the_api() {
    let mut api = Api::start().await;
    let change = |old: &str, new: &str| json!({"username": "alice@contoso.example", "old_password": old, "password": new, "confirm": new});
    let (status, body) = api
        .post(
            "/api/v1/password",
            change("Wrong-Guess-11", "Copper-Harbour-Violin-93"),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"], "rejected");
    assert_eq!(body["changed"], false);
    assert!(body["rejection"].is_string());
    let (status, body) = api
        .post("/api/v1/password", change("Winter-Lantern-58", "contoso1"))
        .await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body["password"]["reasons"]
            .as_array()
            .is_some_and(|r| !r.is_empty()),
        "{body}"
    );
    // An unknown field is a malformed body, not a silent default.
    let mut extra = change("Winter-Lantern-58", "Copper-Harbour-Violin-93");
    extra["admin"] = json!(true);
    assert_eq!(api.post("/api/v1/password", extra).await.0, 400);
    let (status, body) = api
        .post(
            "/api/v1/password",
            change("Winter-Lantern-58", "Copper-Harbour-Violin-93"),
        )
        .await;
    assert_eq!(
        (status, body["changed"].as_bool()),
        (200, Some(true)),
        "{body}"
    );
    for secret in ["Winter-Lantern-58", "Copper-Harbour-Violin-93"] {
        assert!(!body.to_string().contains(secret));
    }

    let token = api
        .running
        .app
        .mailbox
        .as_ref()
        .unwrap()
        .latest_to("alice.smith@fabrikam.example")
        .unwrap()
        .revoke_token
        .expect("a report token")
        .expose()
        .to_owned();
    let (status, body) = api.post("/api/v1/report", json!({"token": token})).await;
    assert_eq!(status, 200, "{body}");
    assert!(body["blocked_until"].as_u64().is_some());
    let (status, body) = api.post("/api/v1/report", json!({"token": token})).await;
    assert_eq!(status, 422, "a token works once: {body}");
    assert_eq!(body["rejection"], "notice.invalid");

    // A wrong method under /api/ is JSON.
    let r = api
        .client
        .get(format!("{}/api/v1/report", api.running.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 405);
    assert_eq!(api.read(r).await.1["error"], "method_not_allowed");
    api.running.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_document_lists_every_route() {
    let mut api = Api::start().await;
    let (status, doc) = api.get("/api/openapi.json").await;
    assert_eq!(status, 200);
    assert!(doc["openapi"].as_str().unwrap().starts_with('3'));
    let paths = doc["paths"].as_object().unwrap();
    let expected = [
        ("get", "/api/v1/csrf"),
        ("post", "/api/v1/sign-in-check"),
        ("get", "/api/v1/reset"),
        ("post", "/api/v1/reset"),
        ("post", "/api/v1/reset/choose"),
        ("post", "/api/v1/reset/confirm-number"),
        ("post", "/api/v1/reset/code"),
        ("post", "/api/v1/reset/resend"),
        ("post", "/api/v1/reset/answers"),
        ("post", "/api/v1/reset/link"),
        ("post", "/api/v1/reset/password"),
        ("post", "/api/v1/reset/cancel"),
        ("get", "/api/v1/registration"),
        ("post", "/api/v1/registration"),
        ("post", "/api/v1/registration/prove"),
        ("post", "/api/v1/registration/answers"),
        ("post", "/api/v1/registration/verify"),
        ("post", "/api/v1/registration/email"),
        ("post", "/api/v1/registration/mobile-phone"),
        ("post", "/api/v1/registration/office-phone"),
        ("post", "/api/v1/registration/app"),
        ("post", "/api/v1/registration/questions"),
        ("post", "/api/v1/registration/recovery-codes"),
        ("post", "/api/v1/registration/test-push"),
        ("post", "/api/v1/registration/back"),
        ("post", "/api/v1/registration/resend"),
        ("post", "/api/v1/registration/default"),
        ("post", "/api/v1/registration/finish"),
        ("post", "/api/v1/registration/cancel"),
        ("post", "/api/v1/password"),
        ("post", "/api/v1/report"),
    ];
    let mut listed = 0;
    for (path, item) in paths {
        listed += item.as_object().unwrap().len();
        assert!(path.starts_with("/api/v1/"), "{path}");
    }
    assert_eq!(listed, expected.len());
    for (method, path) in expected {
        assert!(
            paths.get(path).and_then(|p| p.get(method)).is_some(),
            "{method} {path} missing"
        );
        // Every route answers (not 404/405 from the router).
        let url = format!("{}{path}", api.running.url());
        let r = match method {
            "get" => api.client.get(url).send().await.unwrap(),
            _ => api
                .client
                .post(url)
                .header("X-CSRF-Token", &api.csrf)
                .body("{}")
                .send()
                .await
                .unwrap(),
        };
        assert_ne!(r.status().as_u16(), 405, "{method} {path}");
        let body: Value = r.json().await.unwrap();
        assert_ne!(body["error"], "not_found", "{method} {path}");
    }
    for schema in [
        "ResetOutcomeBody",
        "RegistrationOutcomeBody",
        "ApiErrorBody",
    ] {
        assert!(
            doc["components"]["schemas"].get(schema).is_some(),
            "{schema}"
        );
    }
    api.running.stop().await.unwrap();
}
