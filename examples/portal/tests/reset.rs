//! The reset wizard over HTTP: alice gets back into her account.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alice_resets_through_two_steps_with_a_wrong_code_and_a_weak_password() {
    let p = common::start(None).await;
    let page = p.start_reset("alice@contoso.example").await;
    assert_eq!(page.status, 200, "{}", page.body);
    let flow = p.cookie("sspr_reset").expect("the flow cookie");
    let set_cookie: Vec<_> = page
        .headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    let reset_cookie = set_cookie
        .iter()
        .find(|c| c.starts_with("sspr_reset="))
        .unwrap();
    for attr in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(reset_cookie.contains(attr), "{reset_cookie}");
    }
    assert!(page.body.contains("verification step 1"));
    assert!(page.body.contains("Please choose the first contact method"));
    assert!(page.body.contains("Email my alternate email address"));
    assert!(page.body.contains("al*"), "masked destination shown");
    // Options she has not set up are listed, disabled, never hidden.
    assert!(page.body.contains("Enter a code from my authenticator app"));
    assert!(page.body.contains("not set up"));
    assert!(page.body.contains("disabled"));
    assert!(page.body.contains("Your session will expire in <span class=\"countdown\" data-seconds=\"900\">15:00</span>."), "{}", page.body);

    let page = p
        .post("/reset/step", &[("action", "choose"), ("option", "email")])
        .await;
    assert!(
        page.body
            .contains("We've sent an email message containing a verification code")
    );
    let code = p.code_to("alice.smith@fabrikam.example");
    let page = p
        .post("/reset/step", &[("action", "code"), ("code", "00000000")])
        .await;
    assert_eq!(page.status, 422);
    assert!(page.body.contains("That code didn't work"));
    let page = p
        .post("/reset/step", &[("action", "code"), ("code", &code)])
        .await;
    assert!(
        page.body
            .contains("Please choose the second contact method"),
        "{}",
        page.body
    );

    let page = p
        .post(
            "/reset/step",
            &[("action", "choose"), ("option", "mobile_text")],
        )
        .await;
    assert!(page.body.contains("Enter your complete phone number"));
    let page = p
        .post(
            "/reset/step",
            &[("action", "number"), ("number", "+14255550100")],
        )
        .await;
    assert!(page.body.contains("Enter your verification code"));
    let code = p.code_to("+14255550100");
    let page = p
        .post("/reset/step", &[("action", "code"), ("code", &code)])
        .await;
    assert!(page.body.contains("Choose a new password"), "{}", page.body);
    assert!(
        page.body
            .contains("Strong password required. Enter 8-256 characters")
    );

    let page = p
        .post(
            "/reset/step",
            &[
                ("action", "password"),
                ("password", "contoso1"),
                ("confirm", "contoso1"),
            ],
        )
        .await;
    assert_eq!(page.status, 422);
    assert!(page.body.contains("role=\"alert\""));
    assert!(
        page.body
            .contains("Choose a password that is harder for people to guess")
            || page.body.contains("isn't strong enough"),
        "{}",
        page.body
    );

    let page = p
        .post(
            "/reset/step",
            &[
                ("action", "password"),
                ("password", "quiet lantern orchard 4417"),
                ("confirm", "quiet lantern orchard 4417"),
            ],
        )
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("Your password has been reset"));
    assert!(
        p.cookie("sspr_reset").is_none(),
        "the finished flow's cookie is cleared"
    );
    // The dev mailbox shows the messages in the catalog's words, newest first.
    let mailbox = p.get("/dev/mailbox").await;
    assert!(mailbox.body.contains("alice.smith@fabrikam.example"));
    p.assert_no_flow_id_seen(&[flow]);
    p.running.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_email_link_page_only_confirms_on_post() {
    let p = common::start(None).await;
    p.start_reset("alice@contoso.example").await;
    p.post("/reset/step", &[("action", "choose"), ("option", "email")])
        .await;
    let m = p
        .running
        .app
        .mailbox
        .as_ref()
        .unwrap()
        .latest_to("alice.smith@fabrikam.example")
        .unwrap();
    let token = m.link_token.expect("a link token").expose().to_owned();
    let path = format!("/reset/link?token={token}");
    let page = p.get(&path).await;
    assert!(page.body.contains("Confirm"));
    // The token appears only in the language switch, the page's own address in the other
    // language (so that the German page still confirms); nowhere else.
    let switch = format!("href=\"/reset/link?token={token}&amp;lng=de\"");
    assert!(page.body.contains(&switch), "{}", page.body);
    assert!(
        !page.body.replace(&switch, "").contains(&token),
        "the token is not echoed into the page"
    );
    let german = p.get(&format!("{path}&lng=de")).await;
    assert!(german.body.contains("Bestätigen"), "{}", german.body);
    p.get(&format!("{path}&lng=en")).await;
    // Opening it twice spends nothing: the flow still waits for the code.
    p.get(&path).await;
    let page = p.get("/reset").await;
    assert!(page.body.contains("Enter your verification code"));
    let page = p.post(&path, &[]).await;
    assert!(
        page.body
            .contains("Please choose the second contact method"),
        "{}",
        page.body
    );
    p.running.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_session_says_so() {
    let p = common::start(None).await;
    p.start_reset("alice@contoso.example").await;
    p.clock.advance(901);
    let page = p.get("/reset").await;
    assert!(
        page.body.contains("Your session has expired"),
        "{}",
        page.body
    );
    assert!(page.body.contains("Start again"));
    p.running.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn german_is_chosen_with_lng_and_kept() {
    let p = common::start(None).await;
    let page = p.get("/reset?lng=de").await;
    assert!(page.body.contains("<html lang=\"de\""));
    assert!(page.body.contains("Zurück in Ihr Konto"));
    assert!(page.body.contains("Wer sind Sie?"));
    let page = p.get("/reset").await;
    assert!(
        page.body.contains("Zurück in Ihr Konto"),
        "the cookie keeps the language"
    );
    let page = p.start_reset("alice@contoso.example").await;
    assert!(page.body.contains("Überprüfungsschritt 1"));
    // The language switch on a screen a form posted to reloads the wizard's page.
    assert!(
        page.body.contains("href=\"/reset?lng=en\""),
        "{}",
        page.body
    );
    assert!(page.body.contains(
        "Ihre Sitzung läuft in <span class=\"countdown\" data-seconds=\"900\">15:00</span> ab."
    ));
    let page = p
        .post("/reset/step", &[("action", "choose"), ("option", "email")])
        .await;
    assert!(page.body.contains("Prüfcode"));
    let page = p
        .post("/reset/step", &[("action", "code"), ("code", "00000000")])
        .await;
    assert!(
        page.body.contains("Dieser Code hat nicht funktioniert") || page.body.contains("Code"),
        "{}",
        page.body
    );
    p.running.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn posts_without_the_csrf_token_are_refused_and_headers_are_set() {
    let p = common::start(None).await;
    let page = p.get("/reset").await;
    for (name, value) in [
        ("referrer-policy", "no-referrer"),
        ("x-frame-options", "DENY"),
        ("x-content-type-options", "nosniff"),
    ] {
        assert_eq!(page.headers[name], value);
    }
    let csp = page.headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'self'"));
    assert!(!csp.contains("unsafe-inline"));
    assert!(!page.body.contains("<script>"), "no inline script");
    let csrf_cookie = page
        .headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap())
        .find(|c| c.starts_with("sspr_csrf="))
        .unwrap()
        .to_owned();
    assert!(
        csrf_cookie.contains("HttpOnly")
            && csrf_cookie.contains("SameSite=Strict")
            && csrf_cookie.contains("Path=/")
    );

    let page = p
        .post_raw(
            "/reset/start",
            &[("user", "alice@contoso.example"), ("captcha", "x")],
        )
        .await;
    assert_eq!(page.status, 403);
    let page = p
        .post_raw(
            "/reset/start",
            &[
                ("user", "alice@contoso.example"),
                ("captcha", "x"),
                ("csrf", "forged"),
            ],
        )
        .await;
    assert_eq!(page.status, 403);
    assert!(page.headers.contains_key("content-security-policy"));
    // The dev mailbox exists in demo mode; a wrong CAPTCHA is refused with the catalog's words.
    let page = p
        .post(
            "/reset/start",
            &[("user", "alice@contoso.example"), ("captcha", "WRONG")],
        )
        .await;
    assert_eq!(page.status, 422);
    assert!(
        page.body
            .contains("The characters you entered didn't match")
    );
    assert_eq!(p.get("/nope").await.status, 404);
    p.running.stop().await.unwrap();
}
