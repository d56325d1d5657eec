//! Two portal instances on one PostgreSQL and on one Redis (throwaway servers from Debian's
//! packages on loopback ports, started and stopped here), as a deployment behind a load
//! balancer without sticky sessions runs them: one browser's requests land on either.
//!
//! The CAPTCHA drawn by one instance is answered on the other; the same challenge answered
//! again is refused by both (its id is spent in the shared consume-once set before anything
//! is compared); a challenge sealed for another browser, or altered, is refused; and a whole
//! two-step reset moves between the instances step by step, its codes delivered by whichever
//! instance ran the step.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;

use sspr_portal::stores::Stores;

/// The same browser (cookie jar) talking to `other`: cookies are per host, not per port, so
/// the two loopback instances see the same cookies, as instances behind one name do.
fn same_browser(on: &common::Portal, other: common::Portal) -> common::Portal {
    common::Portal {
        jar: on.jar.clone(),
        client: on.client.clone(),
        ..other
    }
}

/// A challenge drawn by `p`: the browser token, the sealed challenge and its characters.
async fn challenge(p: &common::Portal) -> (String, String, String) {
    p.get("/reset").await;
    let png = p.client.get(p.url("/captcha.png")).send().await.unwrap();
    assert_eq!(png.headers()["content-type"], "image/png");
    let cookie = png
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("sspr_captcha="))
        .expect("the sealed challenge's cookie");
    for attr in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(cookie.contains(attr), "{cookie}");
    }
    let csrf = p.cookie("sspr_csrf").unwrap();
    let sealed = p.cookie("sspr_captcha").unwrap();
    let answer = p
        .running
        .app
        .captcha
        .answer(&csrf, &sealed)
        .unwrap()
        .expect("a challenge");
    (csrf, sealed, answer)
}

const REFUSED: &str = "The characters you entered didn't match";

async fn two_instances_share_the_captcha_and_the_flow(stores: Stores) {
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys.json");
    let a = common::instance(stores.clone(), &keys).await;
    let b = same_browser(&a, common::instance(stores, &keys).await);
    assert_ne!(a.running.url(), b.running.url());

    // Drawn by A, answered on B: accepted. The same challenge again, on A or on B: refused.
    let (_, sealed, answer) = challenge(&a).await;
    let page = b
        .post(
            "/reset/start",
            &[("user", "alice@contoso.example"), ("captcha", &answer)],
        )
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("verification step 1"), "{}", page.body);
    let flow = b.cookie("sspr_reset").expect("the flow cookie");
    for p in [&a, &b] {
        let page = p
            .post(
                "/reset/start",
                &[("user", "alice@contoso.example"), ("captcha", &answer)],
            )
            .await;
        assert_eq!(page.status, 422, "a spent challenge is refused");
        assert!(page.body.contains(REFUSED));
        assert_eq!(p.cookie("sspr_captcha").as_deref(), Some(sealed.as_str()));
    }
    // The spent challenge's page did not disturb the flow cookie of the reset under way.
    assert_eq!(b.cookie("sspr_reset").as_deref(), Some(flow.as_str()));

    // A challenge sealed for another browser (another CSRF token) is refused, its right
    // characters and all; so is an altered one.
    let foreign_jar = Arc::new(reqwest::cookie::Jar::default());
    let foreign = reqwest::Client::builder()
        .cookie_provider(foreign_jar.clone())
        .build()
        .unwrap();
    foreign.get(a.url("/reset")).send().await.unwrap();
    foreign.get(a.url("/captcha.png")).send().await.unwrap();
    let url: reqwest::Url = a.running.url().parse().unwrap();
    let foreign_cookies = reqwest::cookie::CookieStore::cookies(&*foreign_jar, &url).unwrap();
    let cookie_of = |name: &str| {
        foreign_cookies
            .to_str()
            .unwrap()
            .split("; ")
            .find_map(|kv| kv.strip_prefix(&format!("{name}=")).map(str::to_owned))
            .unwrap()
    };
    let (foreign_csrf, foreign_sealed) = (cookie_of("sspr_csrf"), cookie_of("sspr_captcha"));
    assert_ne!(foreign_csrf, a.cookie("sspr_csrf").unwrap());
    let foreign_answer = a
        .running
        .app
        .captcha
        .answer(&foreign_csrf, &foreign_sealed)
        .unwrap()
        .expect("the other browser's challenge");
    a.jar
        .add_cookie_str(&format!("sspr_captcha={foreign_sealed}; Path=/"), &url);
    let page = b
        .post(
            "/reset/start",
            &[
                ("user", "alice@contoso.example"),
                ("captcha", &foreign_answer),
            ],
        )
        .await;
    assert_eq!(page.status, 422, "another browser's challenge is refused");
    assert!(page.body.contains(REFUSED));
    let (_, own_sealed, own_answer) = challenge(&a).await;
    let mut altered = own_sealed.into_bytes();
    let last = altered.len() - 1;
    altered[last] = if altered[last] == b'A' { b'B' } else { b'A' };
    let altered = String::from_utf8(altered).unwrap();
    a.jar
        .add_cookie_str(&format!("sspr_captcha={altered}; Path=/"), &url);
    let page = b
        .post(
            "/reset/start",
            &[("user", "alice@contoso.example"), ("captcha", &own_answer)],
        )
        .await;
    assert_eq!(page.status, 422, "an altered challenge is refused");
    assert!(page.body.contains(REFUSED));

    // The reset started on B goes on step by step on A and B in turn.
    let page = b.get("/reset").await;
    assert!(page.body.contains("verification step 1"), "{}", page.body);
    let page = a
        .post("/reset/step", &[("action", "choose"), ("option", "email")])
        .await;
    assert!(
        page.body
            .contains("We've sent an email message containing a verification code"),
        "{}",
        page.body
    );
    let code = a.code_to("alice.smith@fabrikam.example");
    let page = b
        .post("/reset/step", &[("action", "code"), ("code", &code)])
        .await;
    assert!(
        page.body
            .contains("Please choose the second contact method"),
        "{}",
        page.body
    );
    let page = a
        .post(
            "/reset/step",
            &[("action", "choose"), ("option", "mobile_text")],
        )
        .await;
    assert!(page.body.contains("Enter your complete phone number"));
    let page = b
        .post(
            "/reset/step",
            &[("action", "number"), ("number", "+14255550100")],
        )
        .await;
    assert!(page.body.contains("Enter your verification code"));
    let code = b.code_to("+14255550100");
    let page = a
        .post("/reset/step", &[("action", "code"), ("code", &code)])
        .await;
    assert!(page.body.contains("Choose a new password"), "{}", page.body);
    let page = b
        .post(
            "/reset/step",
            &[
                ("action", "password"),
                ("password", "Quiet-Orchard-River-82"),
                ("confirm", "Quiet-Orchard-River-82"),
            ],
        )
        .await;
    assert!(
        page.body.contains("Your password has been reset"),
        "{}",
        page.body
    );
    // The reset is over on both.
    for p in [&a, &b] {
        assert!(
            !p.get("/reset").await.body.contains("Choose a new password"),
            "the ended reset is not shown again"
        );
    }
    a.assert_no_flow_id_seen(&[flow]);
    a.running.stop().await.unwrap();
    b.running.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_on_postgresql() {
    common::on_postgres(two_instances_share_the_captcha_and_the_flow).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_on_redis() {
    common::on_redis(two_instances_share_the_captcha_and_the_flow).await;
}
