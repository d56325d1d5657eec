//! Where the portal keeps its flows, security info, counters and audit trail: SQLite in the
//! data directory (the embedded default), or PostgreSQL or Redis shared by several portal
//! instances (`--postgres URL`, `--redis URL`).

use std::path::Path;
use std::sync::Arc;

use sspr_core::ports::Clock;
use sspr_stores::{
    Backend, PostgresOptions, PostgresStores, Prefix, RedisOptions, RedisStores, SqliteOptions,
    SqliteStores,
};

use crate::app::StartError;

/// The storage backend.
#[derive(Clone, Default, PartialEq, Eq)]
pub enum Stores {
    /// SQLite in `DATA/sspr.db`.
    #[default]
    Sqlite,
    /// PostgreSQL at a connection URL (`postgresql://user@host:port/db`).
    Postgres(String),
    /// Redis at a URL (`redis://host:port/`).
    Redis(String),
}

// The URLs may carry passwords: never shown.
impl std::fmt::Debug for Stores {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Sqlite => "Sqlite",
            Self::Postgres(_) => "Postgres(..)",
            Self::Redis(_) => "Redis(..)",
        })
    }
}

impl Stores {
    /// Opens the backend (creating or migrating its schema) on `clock`.
    pub fn open(
        &self,
        data_dir: &Path,
        clock: Arc<dyn Clock>,
    ) -> Result<Arc<dyn Backend>, StartError> {
        Ok(match self {
            Self::Sqlite => {
                let mut options = SqliteOptions::new(Prefix::default());
                options.clock = clock;
                Arc::new(SqliteStores::open_with(data_dir.join("sspr.db"), options)?)
            }
            Self::Postgres(url) => {
                let mut options = PostgresOptions::new(Prefix::default());
                options.clock = clock;
                Arc::new(PostgresStores::connect_with(url, options)?)
            }
            Self::Redis(url) => {
                let mut options = RedisOptions::new(Prefix::default());
                options.clock = clock;
                Arc::new(RedisStores::connect_with(url, options)?)
            }
        })
    }
}
