//! Texts and calls through the HTTP gateway (`--gateway`): a sink on a loopback port receives
//! the JSON the portal posts, in the language of the page, with the code in the text; retries
//! keep the message's id, final refusals are not retried, and nothing is posted for a decoy or
//! a wrong number.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Json;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use serde_json::Value;
use tokio::sync::mpsc;

/// One post the gateway received: its `Idempotency-Key` and its body.
type Received = (String, Value);

/// A gateway on a loopback port that answers with `statuses` in turn (then 200): its URL, and
/// what it receives.
async fn sink(statuses: &[u16]) -> (String, mpsc::UnboundedReceiver<Received>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let answers = Arc::new(Mutex::new(
        statuses.iter().copied().collect::<VecDeque<_>>(),
    ));
    let app = axum::Router::new().route(
        "/send",
        post(move |headers: HeaderMap, Json(body): Json<Value>| {
            let tx = tx.clone();
            let answers = answers.clone();
            async move {
                let key = headers["idempotency-key"].to_str().unwrap().to_owned();
                tx.send((key, body)).unwrap();
                let status = answers.lock().unwrap().pop_front().unwrap_or(200);
                StatusCode::from_u16(status).unwrap()
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/send", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, rx)
}

async fn next(rx: &mut mpsc::UnboundedReceiver<Received>) -> Received {
    tokio::time::timeout(Duration::from_secs(20), rx.recv())
        .await
        .expect("the gateway received a message")
        .unwrap()
}

/// Nothing reaches the gateway within two seconds.
async fn nothing(rx: &mut mpsc::UnboundedReceiver<Received>) {
    let got = tokio::time::timeout(Duration::from_secs(2), rx.recv()).await;
    assert!(got.is_err(), "the gateway received {got:?}");
}

async fn portal(url: &str) -> common::Portal {
    let url = url.parse().unwrap();
    common::start_with(|c| c.gateway = Some(url)).await
}

/// `user`'s reset to its second step by `option` (`mobile_text`, `mobile_call`), `number`
/// typed; the page's status.
async fn second_step(p: &common::Portal, user: &str, option: &str, number: &str) -> u16 {
    p.start_reset(user).await;
    p.post("/reset/step", &[("action", "choose"), ("option", "email")])
        .await;
    let code = p.code_to("alice.smith@fabrikam.example");
    p.post("/reset/step", &[("action", "code"), ("code", &code)])
        .await;
    p.post("/reset/step", &[("action", "choose"), ("option", option)])
        .await;
    let page = p
        .post("/reset/step", &[("action", "number"), ("number", number)])
        .await;
    page.status
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_text_goes_to_the_gateway_in_the_pages_language_and_an_email_does_not() {
    let (url, mut rx) = sink(&[]).await;
    let p = portal(&url).await;
    p.get("/?lng=de").await;
    // The number typed in another form: the text goes to the registered E.164 number.
    let status = second_step(
        &p,
        "alice@contoso.example",
        "mobile_text",
        "+1 425-555-0100",
    )
    .await;
    assert_eq!(status, 200);
    let (key, body) = next(&mut rx).await;
    let code = p.code_to("+14255550100");
    assert_eq!(body["channel"], "sms");
    assert_eq!(body["to"], "+14255550100");
    assert_eq!(body["language"], "de");
    let text = body["text"].as_str().unwrap();
    assert!(text.contains(&code), "the text carries the code: {text}");
    assert!(text.contains("Verwenden Sie"), "German: {text}");
    assert_eq!(body["id"], key.as_str(), "the id is the idempotency key");
    let created = body["created_at"].as_u64().unwrap();
    let ttl = sspr_core::policy::Policy::default().codes().ttl_s;
    assert_eq!(body["expires_at"].as_u64().unwrap(), created + ttl);
    // The first step's email never reached the gateway: the text was its first message.
    nothing(&mut rx).await;

    // A new code after the cooldown is a new message: a new id and the new code.
    p.clock.advance(31);
    p.post("/reset/step", &[("action", "resend")]).await;
    let (again, body) = next(&mut rx).await;
    assert_ne!(again, key);
    let new_code = p.code_to("+14255550100");
    assert_ne!(new_code, code);
    assert!(body["text"].as_str().unwrap().contains(&new_code));
    p.running.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failure_that_may_pass_is_tried_again_with_the_same_id_and_a_refusal_is_not() {
    // Two 503s, then taken: three posts of one message, one id, one body.
    let (url, mut rx) = sink(&[503, 503]).await;
    let p = portal(&url).await;
    let status = second_step(&p, "alice@contoso.example", "mobile_call", "+14255550100").await;
    assert_eq!(status, 200);
    let posts = [
        next(&mut rx).await,
        next(&mut rx).await,
        next(&mut rx).await,
    ];
    assert!(posts.iter().all(|p| p == &posts[0]), "{posts:?}");
    let body = &posts[0].1;
    assert_eq!(body["channel"], "voice");
    assert_eq!(body["language"], "en");
    let code = p.code_to("+14255550100");
    // The voice script reads the code: its digits are all there.
    let text = body["text"].as_str().unwrap();
    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
    assert!(digits.contains(&code), "{text}");
    nothing(&mut rx).await;
    let page = p
        .post("/reset/step", &[("action", "code"), ("code", &code)])
        .await;
    assert!(page.body.contains("Choose a new password"), "{}", page.body);
    p.running.stop().await.unwrap();

    // A 400 is final: posted once.
    let (url, mut rx) = sink(&[400]).await;
    let p = portal(&url).await;
    second_step(&p, "alice@contoso.example", "mobile_text", "+14255550100").await;
    next(&mut rx).await;
    nothing(&mut rx).await;
    p.running.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_is_posted_for_a_wrong_number_or_an_unknown_user() {
    let (url, mut rx) = sink(&[]).await;
    let p = portal(&url).await;
    // A wrong number: nothing goes.
    second_step(&p, "alice@contoso.example", "mobile_text", "+14255550199").await;
    nothing(&mut rx).await;
    // An unknown user's wizard walks the same pages and sends nothing anywhere.
    p.get("/?lng=en").await;
    p.start_reset("nobody@contoso.example").await;
    p.post(
        "/reset/step",
        &[("action", "choose"), ("option", "mobile_text")],
    )
    .await;
    p.post(
        "/reset/step",
        &[("action", "number"), ("number", "+14255550100")],
    )
    .await;
    nothing(&mut rx).await;
    p.running.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gateway_that_never_answers_slows_no_step() {
    // It accepts connections and never answers.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/send", listener.local_addr().unwrap());
    let held = Arc::new(Mutex::new(Vec::new()));
    let keep = held.clone();
    std::thread::spawn(move || {
        for s in listener.incoming() {
            keep.lock().unwrap().push(s);
        }
    });
    let p = portal(&url).await;
    let started = Instant::now();
    assert_eq!(
        second_step(&p, "alice@contoso.example", "mobile_text", "+14255550100").await,
        200
    );
    // Each step returned without waiting for the gateway (which holds a post 5 s).
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(p.code_to("+14255550100").len(), 8);
    p.running.stop().await.unwrap();
}
