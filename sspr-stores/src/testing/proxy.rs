//! A loopback TCP proxy that cuts a connection at a chosen moment, to test what a client sees
//! when the network fails in the middle of a call.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// When an armed proxy cuts the connection that sends the request it waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cut {
    /// Before the request reaches the server: the server never runs it.
    BeforeRequest,
    /// When the server's reply comes back, instead of passing it on: the server ran it, the
    /// client never learns the result.
    InsteadOfReply,
}

#[derive(Default)]
struct Trap {
    /// Every one of these must occur in one chunk the client sends.
    request: Vec<Vec<u8>>,
    /// For [`Cut::InsteadOfReply`]: a chunk of the reply containing this.
    reply: Vec<u8>,
    cut: Option<Cut>,
}

struct Shared {
    upstream: u16,
    trap: Mutex<Trap>,
    fired: AtomicBool,
    stop: AtomicBool,
}

/// A running proxy to a server on a loopback port. Stops accepting on drop.
pub struct FaultProxy {
    port: u16,
    shared: Arc<Shared>,
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || haystack.windows(needle.len()).any(|w| w == needle)
}

impl FaultProxy {
    /// Listens on a free loopback port and forwards every connection to `upstream`.
    pub fn start(upstream: u16) -> Result<Self, String> {
        let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
        let port = listener.local_addr().map_err(|e| e.to_string())?.port();
        listener.set_nonblocking(true).map_err(|e| e.to_string())?;
        let shared = Arc::new(Shared {
            upstream,
            trap: Mutex::new(Trap::default()),
            fired: AtomicBool::new(false),
            stop: AtomicBool::new(false),
        });
        let s = shared.clone();
        std::thread::spawn(move || {
            while !s.stop.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((client, _)) => {
                        let _ = client.set_nonblocking(false);
                        if let Ok(server) = TcpStream::connect(("127.0.0.1", s.upstream)) {
                            pipe(client, server, s.clone());
                        }
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        Ok(Self { port, shared })
    }

    /// The proxy's port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Cuts the next connection that sends a chunk containing every one of `request`, as
    /// `cut` says; for [`Cut::InsteadOfReply`], at the first chunk of its reply containing
    /// `reply`. Fires once.
    pub fn arm(&self, request: &[&[u8]], cut: Cut, reply: &[u8]) {
        if let Ok(mut t) = self.shared.trap.lock() {
            t.request = request.iter().map(|r| r.to_vec()).collect();
            t.reply = reply.to_vec();
            t.cut = Some(cut);
        }
        self.shared.fired.store(false, Ordering::SeqCst);
    }

    /// Whether the armed cut has happened.
    pub fn fired(&self) -> bool {
        self.shared.fired.load(Ordering::SeqCst)
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
    }
}

fn pipe(client: TcpStream, server: TcpStream, shared: Arc<Shared>) {
    let (Ok(c2), Ok(s2)) = (client.try_clone(), server.try_clone()) else {
        return;
    };
    // Set when this connection sent the trapped request and its reply is to be cut.
    let waiting = Arc::new(AtomicBool::new(false));
    let cut_both = |a: &TcpStream, b: &TcpStream| {
        let _ = a.shutdown(Shutdown::Both);
        let _ = b.shutdown(Shutdown::Both);
    };
    {
        let (shared, waiting) = (shared.clone(), waiting.clone());
        let (mut from, mut to) = (client, server);
        std::thread::spawn(move || {
            let mut buf = vec![0u8; 1 << 16];
            loop {
                let n = match from.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => n,
                };
                let chunk = &buf[..n];
                let mut action = None;
                if let Ok(mut t) = shared.trap.lock()
                    && t.cut.is_some()
                    && t.request.iter().all(|r| contains(chunk, r))
                {
                    action = t.cut.take();
                }
                match action {
                    Some(Cut::BeforeRequest) => {
                        shared.fired.store(true, Ordering::SeqCst);
                        cut_both(&from, &to);
                        break;
                    }
                    Some(Cut::InsteadOfReply) => waiting.store(true, Ordering::SeqCst),
                    None => {}
                }
                if to.write_all(chunk).is_err() {
                    break;
                }
            }
            cut_both(&from, &to);
        });
    }
    let (mut from, mut to) = (s2, c2);
    std::thread::spawn(move || {
        let mut buf = vec![0u8; 1 << 16];
        loop {
            let n = match from.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            let chunk = &buf[..n];
            if waiting.load(Ordering::SeqCst) {
                let reply = shared
                    .trap
                    .lock()
                    .map(|t| t.reply.clone())
                    .unwrap_or_default();
                if contains(chunk, &reply) {
                    shared.fired.store(true, Ordering::SeqCst);
                    break;
                }
            }
            if to.write_all(chunk).is_err() {
                break;
            }
        }
        cut_both(&from, &to);
    });
}
