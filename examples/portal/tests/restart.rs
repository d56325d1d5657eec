//! A registration survives a restart: a new portal over the same data directory shows the
//! wizard where it was (the pages keep nothing in memory between requests).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use reqwest::cookie::Jar;
use sspr_portal::Config;

async fn start(data: &std::path::Path) -> sspr_portal::Running {
    sspr_portal::start(Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        demo: true,
        data: Some(data.to_path_buf()),
        ..Config::default()
    })
    .await
    .unwrap()
}

fn csrf(jar: &Jar, url: &str) -> String {
    use reqwest::cookie::CookieStore;
    let header = jar.cookies(&url.parse().unwrap()).unwrap();
    header
        .to_str()
        .unwrap()
        .split("; ")
        .find_map(|kv| kv.strip_prefix("sspr_csrf=").map(str::to_owned))
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registration_is_shown_where_it_was_after_a_restart() {
    let data = tempfile::tempdir().unwrap();
    let jar = Arc::new(Jar::default());
    let client = reqwest::Client::builder()
        .cookie_provider(jar.clone())
        .build()
        .unwrap();

    let first = start(data.path()).await;
    let url = first.url();
    client.get(format!("{url}/register")).send().await.unwrap();
    let token = csrf(&jar, &url);
    let page = client
        .post(format!("{url}/register/start"))
        .form(&[
            ("username", "carol@contoso.example"),
            ("password", "Meadow-Copper-41"),
            ("csrf", &token),
        ])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("don't lose access to your account!"));
    let page = client
        .post(format!("{url}/register/step"))
        .form(&[
            ("action", "email"),
            ("email", "carol.white@fabrikam.example"),
            ("csrf", &token),
        ])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("We just sent a code (8 digits) to"), "{page}");
    first.stop().await.unwrap();

    // A new portal (another port: the cookies are the host's, whatever the port).
    let second = start(data.path()).await;
    let url = second.url();
    let page = client
        .get(format!("{url}/register"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("We just sent a code (8 digits) to"), "{page}");
    let page = client
        .post(format!("{url}/register/step"))
        .form(&[("action", "back"), ("csrf", &token)])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("don't lose access to your account!"),
        "{page}"
    );
    second.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_authenticator_secret_is_shown_only_in_the_response_to_its_step() {
    let data = tempfile::tempdir().unwrap();
    let jar = Arc::new(Jar::default());
    let client = reqwest::Client::builder()
        .cookie_provider(jar.clone())
        .build()
        .unwrap();
    let portal = start(data.path()).await;
    let url = portal.url();
    client.get(format!("{url}/register")).send().await.unwrap();
    let token = csrf(&jar, &url);
    let post = |path: &'static str, form: Vec<(&'static str, String)>| {
        let client = client.clone();
        let url = url.clone();
        async move {
            client
                .post(format!("{url}{path}"))
                .form(&form)
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
        }
    };
    post(
        "/register/start",
        vec![
            ("username", "carol@contoso.example".into()),
            ("password", "Meadow-Copper-41".into()),
            ("csrf", token.clone()),
        ],
    )
    .await;
    let page = post(
        "/register/step",
        vec![("action", "app".into()), ("csrf", token.clone())],
    )
    .await;
    assert!(page.contains("data:image/svg+xml;base64,"));
    assert!(page.contains("Secret key: "));
    // Shown again (a reload, another instance): the wizard, without the secret.
    let page = client
        .get(format!("{url}/register"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("Enter the 6-digit code shown in the app"),
        "{page}"
    );
    assert!(page.contains("shown only once"), "{page}");
    assert!(!page.contains("data:image/svg+xml;base64,"));
    assert!(!page.contains("Secret key: "));
    portal.stop().await.unwrap();
}
