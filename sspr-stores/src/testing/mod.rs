//! Servers for tests and benchmarks, started and stopped by the test itself (feature
//! `test-servers`).

#[cfg(feature = "postgres")]
mod pg;
mod proxy;
#[cfg(feature = "redis")]
mod redis_server;

#[cfg(feature = "postgres")]
pub use pg::PgServer;
pub use proxy::{Cut, FaultProxy};
#[cfg(feature = "redis")]
pub use redis_server::RedisServer;

/// A loopback port nothing listens on now.
#[cfg_attr(not(any(feature = "postgres", feature = "redis")), allow(dead_code))]
fn free_port() -> Result<u16, String> {
    let l = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| format!("no free port: {e}"))?;
    l.local_addr().map(|a| a.port()).map_err(|e| e.to_string())
}
