//! Texts and calls through the HTTP gateway (`--gateway`): a sink on a loopback port receives
//! the JSON the portal posts, in the language of the page, with the code in the text.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use axum::Json;
use axum::routing::post;
use serde_json::Value;
use tokio::sync::mpsc;

/// A gateway on a loopback port: its URL, and what it receives. It answers `status`.
async fn sink(status: u16) -> (String, mpsc::UnboundedReceiver<Value>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let app = axum::Router::new().route(
        "/send",
        post(move |Json(body): Json<Value>| {
            let tx = tx.clone();
            async move {
                tx.send(body).unwrap();
                axum::http::StatusCode::from_u16(status).unwrap()
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/send", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, rx)
}

async fn next(rx: &mut mpsc::UnboundedReceiver<Value>) -> Value {
    tokio::time::timeout(Duration::from_secs(20), rx.recv())
        .await
        .expect("the gateway received a message")
        .unwrap()
}

/// Alice's reset to its second step, by text (`option`), her number typed.
async fn second_step(p: &common::Portal, option: &str) {
    p.start_reset("alice@contoso.example").await;
    p.post("/reset/step", &[("action", "choose"), ("option", "email")])
        .await;
    let code = p.code_to("alice.smith@fabrikam.example");
    p.post("/reset/step", &[("action", "code"), ("code", &code)])
        .await;
    p.post("/reset/step", &[("action", "choose"), ("option", option)])
        .await;
    let page = p
        .post(
            "/reset/step",
            &[("action", "number"), ("number", "+14255550100")],
        )
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_text_goes_to_the_gateway_in_the_pages_language_and_an_email_does_not() {
    let (url, mut rx) = sink(200).await;
    let p = common::start_with(|c| c.gateway = Some(url)).await;
    p.get("/?lng=de").await;
    second_step(&p, "mobile_text").await;
    let body = next(&mut rx).await;
    let code = p.code_to("+14255550100");
    assert_eq!(body["channel"], "sms");
    assert_eq!(body["to"], "+14255550100");
    assert_eq!(body["language"], "de");
    let text = body["text"].as_str().unwrap();
    assert!(text.contains(&code), "the text carries the code: {text}");
    assert!(text.contains("Verwenden Sie"), "German: {text}");
    let id = body["id"].as_str().unwrap();
    assert!(!id.is_empty());
    assert!(body["created_at"].as_u64().unwrap() > 0);
    // The email of the first step never reached the gateway: the text was its first message.
    assert!(rx.try_recv().is_err(), "only the text");
    p.running.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_reads_a_script_and_a_failing_gateway_loses_nothing_else() {
    // A gateway that refuses everything: the reset still goes on, and the next message is sent.
    let (url, mut rx) = sink(503).await;
    let p = common::start_with(|c| c.gateway = Some(url)).await;
    second_step(&p, "mobile_call").await;
    let body = next(&mut rx).await;
    assert_eq!(body["channel"], "voice");
    assert_eq!(body["language"], "en");
    let code = p.code_to("+14255550100");
    // The voice script reads the code digit by digit or whole: its digits are all there.
    let text = body["text"].as_str().unwrap();
    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
    assert!(digits.contains(&code), "{text}");
    let page = p
        .post("/reset/step", &[("action", "code"), ("code", &code)])
        .await;
    assert!(page.body.contains("Choose a new password"), "{}", page.body);
    p.running.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_absent_gateway_neither_fails_nor_slows_a_step() {
    // Nothing listens on the gateway's port.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let p = common::start_with(|c| c.gateway = Some(format!("http://127.0.0.1:{port}/send"))).await;
    let started = std::time::Instant::now();
    second_step(&p, "mobile_text").await;
    assert!(started.elapsed() < Duration::from_secs(10));
    // The code is in the dev mailbox: the step did not fail.
    assert_eq!(p.code_to("+14255550100").len(), 8);
    p.running.stop().await.unwrap();
}
