//! A throwaway Redis server for tests and benchmarks: Debian's `redis-server`, its files in a
//! temporary directory, a free loopback port, the append-only file on (so that a restart keeps
//! what was written, as a production server must), stopped on drop. Never for production data.

use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::free_port;

/// A running throwaway server.
pub struct RedisServer {
    dir: tempfile::TempDir,
    port: u16,
    child: Mutex<Option<Child>>,
}

impl RedisServer {
    /// Starts a server in a new temporary directory.
    pub fn start() -> Result<Self, String> {
        let dir = tempfile::Builder::new()
            .prefix("sspr-redis-")
            .tempdir()
            .map_err(|e| e.to_string())?;
        let server = Self {
            dir,
            port: free_port()?,
            child: Mutex::new(None),
        };
        server.start_again()?;
        Ok(server)
    }

    /// Starts the (stopped) server on its port and directory, waiting until it accepts
    /// connections; it reloads what it had written.
    pub fn start_again(&self) -> Result<(), String> {
        let mut child = self.child.lock().map_err(|_| "poisoned")?;
        if child.is_some() {
            return Err("the server is running".into());
        }
        let spawned = Command::new("redis-server")
            .args(["--bind", "127.0.0.1", "--port", &self.port.to_string()])
            .arg("--dir")
            .arg(self.dir.path())
            .args([
                "--save",
                "",
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
            ])
            .args([
                "--maxmemory-policy",
                "noeviction",
                "--protected-mode",
                "yes",
            ])
            .args(["--logfile", "server.log", "--daemonize", "no"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| {
                format!("redis-server is not installed (apt-get install redis-server): {e}")
            })?;
        *child = Some(spawned);
        drop(child);
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if TcpStream::connect(("127.0.0.1", self.port)).is_ok() && self.ping() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.stop();
        Err("redis-server did not start in 30 s".into())
    }

    /// Whether the server answers and has loaded its data.
    fn ping(&self) -> bool {
        use std::io::{Read, Write};
        let Ok(mut s) = TcpStream::connect(("127.0.0.1", self.port)) else {
            return false;
        };
        let _ = s.set_read_timeout(Some(Duration::from_secs(1)));
        let mut reply = [0u8; 16];
        s.write_all(b"PING\r\n").is_ok()
            && s.read(&mut reply)
                .is_ok_and(|n| reply[..n].starts_with(b"+PONG"))
    }

    /// Stops the server at once (as a crash would: SIGKILL).
    pub fn stop(&self) -> Result<(), String> {
        let mut child = self.child.lock().map_err(|_| "poisoned")?;
        if let Some(mut c) = child.take() {
            c.kill().map_err(|e| e.to_string())?;
            c.wait().map_err(|e| e.to_string())?;
        }
        Ok(())
    }

    /// The connection URL.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    /// The server's loopback port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The server's directory.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.stop();
    }
}
