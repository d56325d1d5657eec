//! Errors opening a backend. Errors of the ports' calls are [`sspr_core::PortError`]s.

/// Opening or migrating a store failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The prefix is not a safe identifier.
    #[error("a prefix is 1 to {max} characters of a-z, 0-9 and _, starting with a letter")]
    BadPrefix {
        /// The longest prefix accepted.
        max: usize,
    },
    /// The database could not be opened or reached.
    #[error("the database could not be opened: {0}")]
    Open(String),
    /// The database holds a schema newer than this release knows.
    #[error("the database's schema is version {found}; this release knows up to {known}")]
    SchemaTooNew {
        /// The version found.
        found: i64,
        /// The newest version this release applies.
        known: i64,
    },
    /// A migration failed (and was rolled back).
    #[error("migration to schema version {version} failed: {message}")]
    Migration {
        /// The version being applied.
        version: i64,
        /// What the database said.
        message: String,
    },
}
