//! The registration wizard over HTTP: carol sets up the authenticator app and an email.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use hmac::{KeyInit, Mac};

/// RFC 6238 with SHA-1, 6 digits, 30 seconds: what the phone's app computes.
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

fn between<'a>(s: &'a str, start: &str, end: &str) -> &'a str {
    let i = s.find(start).expect(start) + start.len();
    let j = s[i..].find(end).expect(end) + i;
    &s[i..j]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn carol_adds_the_authenticator_app_and_an_email() {
    let p = common::start(None).await;
    p.get("/register").await;
    let page = p
        .post(
            "/register/start",
            &[("username", "carol@contoso.example"), ("password", "wrong")],
        )
        .await;
    assert_eq!(page.status, 422);
    assert!(page.body.contains("Your user ID or password is incorrect"));
    let page = p
        .post(
            "/register/start",
            &[
                ("username", "carol@contoso.example"),
                ("password", "Meadow-Copper-41"),
            ],
        )
        .await;
    assert!(
        page.body.contains("don't lose access to your account!"),
        "{}",
        page.body
    );
    assert!(page.body.contains("is not configured"));
    let flow = p.cookie("sspr_reg").expect("the registration cookie");

    let page = p.get("/register/add/app").await;
    assert!(page.body.contains("Authenticator app"));
    assert!(!page.body.contains("Microsoft Authenticator -"));
    // The wizard's progress, as seed 003 shows it: the first of the two the policy requires.
    assert!(
        page.body
            .contains("Your organization requires you to set up the following methods")
    );
    assert!(
        page.body.contains("Method 1 of 2: Authenticator app"),
        "{}",
        page.body
    );
    let page = p.post("/register/step", &[("action", "app")]).await;
    assert!(page.body.contains("Scan the QR code"));
    assert!(page.body.contains("data:image/svg+xml;base64,"));
    assert!(page.body.contains("Can't scan the image?"));
    let secret = between(&page.body, "Secret key: ", "<").trim().to_owned();
    // "I want to set up a different method" is there.
    assert!(page.body.contains("I want to set up a different method"));
    let now = sspr_core::ports::Clock::now(p.clock.as_ref()).unwrap();
    let code = totp(&secret, now);
    let page = p
        .post("/register/step", &[("action", "verify"), ("code", &code)])
        .await;
    assert!(
        page.body
            .contains("Authenticator app - notification is configured")
            || page.body.contains("Authenticator app - code is configured"),
        "{}",
        page.body
    );

    let page = p
        .post(
            "/register/step",
            &[
                ("action", "email"),
                ("email", "carol.white@fabrikam.example"),
            ],
        )
        .await;
    assert!(
        page.body
            .contains("We just sent a code (8 digits) to ca*********@fabrikam.example"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("Method 2 of 2: Authentication Email"),
        "{}",
        page.body
    );
    let code = p.code_to("carol.white@fabrikam.example");
    let page = p
        .post("/register/step", &[("action", "verify"), ("code", &code)])
        .await;
    assert!(
        page.body.contains("Authentication Email is configured"),
        "{}",
        page.body
    );

    let page = p.post("/register/step", &[("action", "finish")]).await;
    assert!(page.body.contains("Success!"), "{}", page.body);
    assert!(page.body.contains("Method 2 of 2: Done"), "{}", page.body);
    assert!(
        page.body
            .contains("Default sign-in method: Authenticator app")
    );
    let default_at = page.body.find("Default sign-in method").unwrap();
    let email_at = page.body.rfind("Authentication Email").unwrap();
    assert!(default_at < email_at);
    p.assert_no_flow_id_seen(&[flow]);
    p.running.stop().await.unwrap();
}
