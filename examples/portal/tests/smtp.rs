//! Email over SMTP: a tiny sink on a loopback port receives the code.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::mpsc;
use std::time::Duration;

/// Accepts connections and speaks just enough SMTP to take their messages; sends each DATA.
fn sink() -> (u16, mpsc::Receiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { return };
            let tx = tx.clone();
            std::thread::spawn(move || session(stream, &tx));
        }
    });
    (port, rx)
}

fn session(stream: std::net::TcpStream, tx: &mpsc::Sender<String>) {
    {
        let mut w = stream.try_clone().unwrap();
        let mut r = BufReader::new(stream);
        w.write_all(b"220 sink ESMTP\r\n").unwrap();
        let mut data = String::new();
        let mut in_data = false;
        let mut line = String::new();
        while r.read_line(&mut line).unwrap_or(0) > 0 {
            if in_data {
                if line == ".\r\n" {
                    in_data = false;
                    w.write_all(b"250 queued\r\n").unwrap();
                    tx.send(data.clone()).unwrap();
                } else {
                    data.push_str(&line);
                }
            } else {
                let cmd = line.to_ascii_uppercase();
                if cmd.starts_with("EHLO") || cmd.starts_with("HELO") {
                    w.write_all(b"250 sink\r\n").unwrap();
                } else if cmd.starts_with("DATA") {
                    in_data = true;
                    w.write_all(b"354 go ahead\r\n").unwrap();
                } else if cmd.starts_with("QUIT") {
                    w.write_all(b"221 bye\r\n").unwrap();
                    break;
                } else {
                    w.write_all(b"250 ok\r\n").unwrap();
                }
            }
            line.clear();
        }
    }
}

async fn next_mail(rx: &std::sync::Arc<std::sync::Mutex<mpsc::Receiver<String>>>) -> String {
    let rx = rx.clone();
    tokio::task::spawn_blocking(move || rx.lock().unwrap().recv_timeout(Duration::from_secs(20)))
        .await
        .unwrap()
        .expect("the sink received a message")
}

/// Quoted-printable soft line breaks and `=XX` bytes undone (lettre encodes non-ASCII text).
fn unfold(data: &str) -> String {
    let joined = data.replace("=\r\n", "");
    let mut out = Vec::new();
    let b = joined.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'='
            && i + 2 < b.len()
            && let Ok(v) = u8::from_str_radix(&joined[i + 1..i + 3], 16)
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mail_is_written_in_the_language_of_the_page_and_carries_the_report_link() {
    let (port, rx) = sink();
    let rx = std::sync::Arc::new(std::sync::Mutex::new(rx));
    let p = common::start(Some(("127.0.0.1".into(), port))).await;
    // German chosen on the page: the code's email is German.
    p.get("/?lng=de").await;
    p.start_reset("alice@contoso.example").await;
    p.post("/reset/step", &[("action", "choose"), ("option", "email")])
        .await;
    let data = unfold(&next_mail(&rx).await);
    assert!(data.contains("Verwenden Sie den folgenden Code"), "{data}");
    assert!(
        data.contains("Oder best\u{e4}tigen Sie mit diesem Link"),
        "{data}"
    );
    // English again; a password change's notice is English and links to "this wasn't me".
    p.get("/?lng=en").await;
    let page = p
        .post(
            "/password",
            &[
                ("username", "alice@contoso.example"),
                ("old", "Winter-Lantern-58"),
                ("password", "Copper-Harbour-Violin-93"),
                ("confirm", "Copper-Harbour-Violin-93"),
            ],
        )
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    let mut notices = Vec::new();
    for _ in 0..2 {
        notices.push(unfold(&next_mail(&rx).await));
    }
    assert!(
        notices.iter().all(|n| n.contains("/report?token=")),
        "{notices:?}"
    );
    assert!(
        notices.iter().all(|n| n.contains("Wasn't you? Report it")),
        "{notices:?}"
    );
    p.running.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_emailed_code_goes_out_over_smtp() {
    let (port, rx) = sink();
    let p = common::start(Some(("127.0.0.1".into(), port))).await;
    p.start_reset("alice@contoso.example").await;
    p.post("/reset/step", &[("action", "choose"), ("option", "email")])
        .await;
    let code = p.code_to("alice.smith@fabrikam.example");
    let data = tokio::task::spawn_blocking(move || rx.recv_timeout(Duration::from_secs(20)))
        .await
        .unwrap()
        .expect("the sink received a message");
    assert!(data.contains("To: alice.smith@fabrikam.example"), "{data}");
    assert!(data.contains(&code), "the email carries the code");
    assert!(
        data.contains("/reset/link?token="),
        "and the verification link"
    );
    p.running.stop().await.unwrap();
}
