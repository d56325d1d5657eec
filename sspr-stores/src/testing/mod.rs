//! Servers for tests and benchmarks, started and stopped by the test itself (feature
//! `test-servers`).

#[cfg(feature = "postgres")]
mod pg;

#[cfg(feature = "postgres")]
pub use pg::PgServer;
