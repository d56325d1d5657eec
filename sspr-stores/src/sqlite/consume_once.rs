//! [`ConsumeOnceSet`] on SQLite: a unique insert. A consumed value stays consumed until a
//! purge removes it, an hour past its expiry.

use std::sync::Arc;

use r2d2_sqlite::rusqlite::params;
use sspr_core::ports::ConsumeOnceSet;
use sspr_core::{PortError, PortName};

use super::{Inner, port_error};
use crate::time::to_db;

const PORT: PortName = PortName::ConsumeOnce;

pub(crate) struct SqliteConsumeOnceSet(pub(crate) Arc<Inner>);

impl ConsumeOnceSet for SqliteConsumeOnceSet {
    /// One insert; `true` if it took the pair. Atomic in SQLite.
    fn consume(&self, namespace: String, key: String, expires_at: u64) -> Result<bool, PortError> {
        let conn = self.0.conn(PORT)?;
        let table = self.0.t("consumed");
        let changed = conn
            .execute(
                &format!(
                    "INSERT INTO {table} (namespace, key, expires_at) VALUES (?1, ?2, ?3)
                     ON CONFLICT (namespace, key) DO NOTHING"
                ),
                params![namespace, key, to_db(expires_at)],
            )
            .map_err(|e| port_error(PORT, &e))?;
        Ok(changed == 1)
    }
}
