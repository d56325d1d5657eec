//! "change password" (seed 000's last screen) and "this wasn't me" over HTTP, and what a
//! wrong method gets.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

const OLD: &str = "Winter-Lantern-58";
const NEW: &str = "Copper-Harbour-Violin-93";

fn change<'a>(old: &'a str, new: &'a str, confirm: &'a str) -> [(&'static str, &'a str); 4] {
    [
        ("username", "alice@contoso.example"),
        ("old", old),
        ("password", new),
        ("confirm", confirm),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alice_changes_her_password_then_reports_that_it_was_not_her() {
    let p = common::start(None).await;
    let page = p.get("/password").await;
    assert_eq!(page.status, 200);
    for words in [
        "change password",
        "Strong password required. Enter 8-256 characters",
        "User ID",
        "Old password",
        "Create new password",
        "Password strength",
        "Confirm new password",
    ] {
        assert!(page.body.contains(words), "{words}: {}", page.body);
    }
    assert!(p.get("/").await.body.contains("href=\"/password\""));

    // A wrong old password: refused in the catalog's words, the user id kept, no password
    // echoed.
    let page = p
        .post("/password", &change("Wrong-Guess-11", NEW, NEW))
        .await;
    assert_eq!(page.status, 422);
    assert!(page.body.contains("role=\"alert\""));
    assert!(page.body.contains("value=\"alice@contoso.example\""));
    assert!(!page.body.contains(NEW) && !page.body.contains("Wrong-Guess-11"));
    // A weak new one: the rules' refusal and the meter at the verdict.
    let page = p
        .post("/password", &change(OLD, "contoso1", "contoso1"))
        .await;
    assert_eq!(page.status, 422);
    assert!(page.body.contains("meter id=\"strength\""));
    assert!(page.body.contains("role=\"alert\""));
    assert!(!page.body.contains("contoso1"));
    // Confirmation that differs.
    let page = p
        .post("/password", &change(OLD, NEW, "Something-Else-77"))
        .await;
    assert_eq!(page.status, 422);

    let page = p.post("/password", &change(OLD, NEW, NEW)).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("Your password has been changed"));
    let directory = p.running.app.directory.clone();
    let user = tokio::task::spawn_blocking(move || {
        directory
            .find_user("alice@contoso.example".into())
            .unwrap()
            .unwrap()
    })
    .await
    .unwrap();
    let (directory, id) = (p.running.app.directory.clone(), user.id.clone());
    let verified = tokio::task::spawn_blocking(move || {
        directory
            .check_password(id, sspr_core::SecretString::new(NEW))
            .unwrap()
    })
    .await
    .unwrap();
    assert!(verified, "the directory holds the new password");

    // The notice links to "this wasn't me"; opening the link only shows Confirm.
    let notice = p
        .running
        .app
        .mailbox
        .as_ref()
        .unwrap()
        .latest_to("alice.smith@fabrikam.example")
        .expect("a notice");
    let token = notice
        .revoke_token
        .expect("a report token")
        .expose()
        .to_owned();
    let mailbox = p.get("/dev/mailbox").await;
    assert!(mailbox.body.contains(&format!("/report?token={token}")));
    let page = p.get(&format!("/report?token={token}")).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Confirm: this wasn't me"));
    // The language switch keeps the token, so the German page still reports.
    assert!(
        page.body
            .contains(&format!("/report?token={token}&amp;lng=de")),
        "{}",
        page.body
    );
    let page = p.get(&format!("/report?token={token}&lng=de")).await;
    assert!(page.body.contains("Bestätigen: Das war ich nicht"));
    let page = p.post(&format!("/report?token={token}"), &[]).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains("Danke für Ihre Meldung"),
        "{}",
        page.body
    );
    // A token works once.
    let page = p.post(&format!("/report?token={token}"), &[]).await;
    assert_eq!(page.status, 422);
    let page = p.post("/report?token=made-up", &[]).await;
    assert_eq!(page.status, 422);
    // Self-service is now blocked for her: the reset starts on the blocked screen.
    p.get("/?lng=en").await;
    let page = p.start_reset("alice@contoso.example").await;
    assert!(
        page.body.contains("You can't reset your password now"),
        "{}",
        page.body
    );
    p.running.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_method_gets_a_page_and_the_methods_allowed() {
    let p = common::start(None).await;
    let r = p.client.delete(p.url("/reset")).send().await.unwrap();
    assert_eq!(r.status(), 405);
    assert_eq!(r.headers()["allow"], "GET,HEAD");
    assert!(r.headers().contains_key("content-security-policy"));
    let body = r.text().await.unwrap();
    assert!(body.contains("This page can't be used that way"), "{body}");
    let r = p.client.put(p.url("/password")).send().await.unwrap();
    assert_eq!(r.status(), 405);
    p.running.stop().await.unwrap();
}
