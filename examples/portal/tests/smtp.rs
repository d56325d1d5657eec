//! Email over SMTP: a tiny sink on a loopback port receives the code.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::mpsc;
use std::time::Duration;

/// Accepts one connection and speaks just enough SMTP to take one message; sends its DATA.
fn sink() -> (u16, mpsc::Receiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
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
    });
    (port, rx)
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
