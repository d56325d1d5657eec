//! # sspr-stores
//!
//! Database-backed ports for [`sspr_core`]: the flow store, the security-info store, the
//! counter store, the consume-once set and an audit sink, each carrying out its port's
//! atomicity contract in the database itself (a conditional update, one upsert statement, a
//! unique insert), never with a lock in the process, so that any number of processes can share
//! one database.
//!
//! - `SqliteStores` (feature `sqlite`, the default): SQLite in a file, bundled. The embedded
//!   default for one machine; several processes on that machine may share the file.
//! - `PostgresStores` (feature `postgres`): PostgreSQL, for several application instances on
//!   several machines.
//! - `RedisStores` (feature `redis`): Redis, for several application instances that share a
//!   Redis server (Lua scripts for every read-modify-write, TTLs for expiry).
//!
//! Each implements [`Backend`], whose `ports` puts its stores into an engine's [`Ports`].
//!
//! [`Ports`]: sspr_core::engine::Ports
//!
//! Every backend applies its versioned schema migrations on open, names its tables with a
//! configurable [`Prefix`] (several applications or tenants can share one database), makes
//! expired records invisible at once and deletes them on `purge`.
//!
//! Security info reaches the store already sealed by the engine
//! ([`sspr_core::SealingKeys`]): a store, and anyone reading its tables, sees user ids, versions
//! and ciphertext.
//!
//! ```
//! use sspr_stores::{Backend, Prefix, SqliteStores};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let dir = tempfile::tempdir()?;
//! let stores = SqliteStores::open(dir.path().join("sspr.db"), Prefix::new("sspr_")?)?;
//! let mem = sspr_core::memory::MemoryPorts::for_tests(1_750_000_000, 7, "captcha-ok");
//! let ports = stores.ports(mem.ports());
//! # let _ = ports;
//! # Ok(())
//! # }
//! ```

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod backend;
mod error;
#[cfg(feature = "postgres")]
mod postgres;
mod prefix;
mod purged;
#[cfg(feature = "redis")]
mod redis;
#[cfg(feature = "sqlite")]
mod sqlite;
#[cfg(feature = "test-servers")]
pub mod testing;
mod time;

pub use backend::Backend;
pub use error::StoreError;
#[cfg(feature = "postgres")]
pub use postgres::{PostgresOptions, PostgresStores};
pub use prefix::Prefix;
pub use purged::{PURGE_GRACE_S, Purged};
#[cfg(feature = "redis")]
pub use redis::{RedisOptions, RedisStores};
#[cfg(feature = "sqlite")]
pub use sqlite::{SqliteOptions, SqliteStores};
