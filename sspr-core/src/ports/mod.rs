//! Ports: everything sspr needs from the outside world, as traits the host implements.
//!
//! All ports follow the same rules, so that each maps one-to-one onto a UniFFI foreign trait
//! and a plain Python object:
//!
//! * synchronous, `Send + Sync`, methods take `&self`;
//! * owned arguments and results, no generics, lifetimes or associated types;
//! * coarse: a few calls per user step;
//! * every method documents its **atomicity** (compare-and-set, atomic increment,
//!   consume-once) and what a failure means. Concurrency safety lives in the ports: sspr itself
//!   keeps no shared mutable state.
//!
//! A failing port returns a [`PortError`](crate::PortError); sspr never leaves a flow
//! half-applied because of one (see each method's failure semantics).
//!
//! Reference implementations for all of them live in [`memory`](crate::memory).

mod audit;
mod breach;
mod captcha;
mod clock;
mod consume_once;
mod counter;
mod directory;
mod flow_store;
mod notifier;
mod randomness;
mod security_info_store;

pub use audit::AuditSink;
pub use breach::{BreachChecker, BreachedSuffix};
pub use captcha::CaptchaVerifier;
pub use clock::Clock;
pub use consume_once::ConsumeOnceSet;
pub use counter::{CounterState, CounterStore};
pub use directory::{Directory, PasswordChange};
pub use flow_store::FlowStore;
pub use notifier::{Approval, Channel, Message, MessageKind, Notifier};
pub use randomness::Randomness;
pub use security_info_store::SecurityInfoStore;

/// A versioned record, as the flow and security-info stores hold it.
#[derive(Clone, PartialEq, Eq)]
pub struct Record {
    /// The record: a JSON document sspr wrote. Opaque to the store.
    pub data: String,
    /// The record's version: 1 when created, one more at each save.
    pub version: u64,
}

impl std::fmt::Debug for Record {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Record")
            .field("bytes", &self.data.len())
            .field("version", &self.version)
            .finish()
    }
}
