//! Flows as the flow store holds them: keyed by a reference of their id, bounded in size,
//! versioned, and refused when unreadable.

use serde::{Deserialize, Serialize};

use crate::error::{Error, InputError, PortError};
use crate::ports::MessageKind;
use crate::registration::{self, RegistrationFlow};
use crate::reset::{self, ResetFlow};
use crate::user::UserId;

use super::Engine;

/// The longest flow id or token accepted, in bytes.
pub(crate) const MAX_ID_BYTES: usize = 128;
/// The largest flow record read back, in bytes.
pub(crate) const MAX_RECORD_BYTES: usize = 64 * 1024;

/// Format version of a "this wasn't me" record.
pub(crate) const NOTICE_FORMAT: u16 = 1;

/// How long the flow store keeps a record after it expires (a day).
pub(crate) const RETENTION_S: u64 = 86_400;

/// What a "this wasn't me" token stands for: a notice sent to a user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct NoticeRecord {
    pub v: u16,
    pub user: UserId,
    pub kind: MessageKind,
    pub created_at: u64,
    pub expires_at: u64,
}

/// The persisted form of any flow-store record: `{"reset": {...}}`, `{"registration": {...}}`
/// or `{"notice": {...}}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum StoredFlow {
    Reset(ResetFlow),
    Registration(RegistrationFlow),
    Notice(NoticeRecord),
}

/// A record as loaded: the flow, its version and its exact data (to tell whether a step
/// changed it, and to put it back).
pub(crate) struct Loaded {
    pub stored: StoredFlow,
    pub version: u64,
    pub data: String,
}

pub(crate) fn no_such_flow() -> Error {
    InputError::UnknownFlow.into()
}

pub(crate) fn encode(stored: &StoredFlow) -> Result<String, Error> {
    serde_json::to_string(stored).map_err(|e| {
        InputError::CorruptRecord {
            what: "flow",
            problem: e.to_string(),
        }
        .into()
    })
}

impl Engine {
    /// The flow store's key of a flow id or token (a keyed hash: the store never sees the
    /// bearer token).
    pub(crate) fn store_key(&self, label: &str, id: &str) -> String {
        self.options.identity.reference(label, id)
    }

    /// The reference a flow is known by (in audit events and code bindings).
    pub(crate) fn flow_ref(&self, id: &str) -> String {
        self.store_key("flow", id)
    }

    /// Loads the record under `key`, refusing an oversized, unreadable or unknown-format one.
    pub(crate) fn load_record(&self, key: &str) -> Result<Option<Loaded>, Error> {
        let Some(record) = self.ports.flows.load(key.to_owned())? else {
            return Ok(None);
        };
        if record.data.len() > MAX_RECORD_BYTES {
            return Err(InputError::CorruptRecord {
                what: "flow",
                problem: format!("larger than {MAX_RECORD_BYTES} bytes"),
            }
            .into());
        }
        let stored: StoredFlow =
            serde_json::from_str(&record.data).map_err(|e| InputError::CorruptRecord {
                what: "flow",
                problem: format!(
                    "{:?} at line {} column {}",
                    e.classify(),
                    e.line(),
                    e.column()
                ),
            })?;
        let (v, want) = match &stored {
            StoredFlow::Reset(f) => (f.v, reset::RESET_FORMAT),
            StoredFlow::Registration(f) => (f.v, registration::REGISTRATION_FORMAT),
            StoredFlow::Notice(n) => (n.v, NOTICE_FORMAT),
        };
        if v != want {
            return Err(InputError::CorruptRecord {
                what: "flow",
                problem: format!("format {v} is not supported (this version reads {want})"),
            }
            .into());
        }
        Ok(Some(Loaded {
            stored,
            version: record.version,
            data: record.data,
        }))
    }

    /// Loads the flow with id `flow_id` (bounded, keyed by its reference).
    pub(crate) fn load_flow(&self, flow_id: &str) -> Result<(String, Loaded), Error> {
        if flow_id.len() > MAX_ID_BYTES {
            return Err(InputError::TooLong {
                what: "flow id",
                max: MAX_ID_BYTES,
            }
            .into());
        }
        let key = self.store_key("flow", flow_id);
        let loaded = self.load_record(&key)?.ok_or_else(no_such_flow)?;
        if matches!(loaded.stored, StoredFlow::Notice(_)) {
            return Err(no_such_flow());
        }
        Ok((key, loaded))
    }

    /// Saves `data` under `key` by compare-and-set. The store keeps the record
    /// [`RETENTION_S`] past `expires_at`, so that a flow past its time shows as expired
    /// rather than unknown.
    pub(crate) fn save_record(
        &self,
        key: &str,
        data: String,
        expected: u64,
        expires_at: u64,
    ) -> Result<(), PortError> {
        self.ports.flows.save(
            key.to_owned(),
            data,
            expected,
            expires_at.saturating_add(RETENTION_S),
        )
    }
}
