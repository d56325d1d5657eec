//! # sspr-core
//!
//! Self-service password reset, as Microsoft Entra ID gives its tenants, without I/O.
//!
//! Users register security info ("keep your account secure": authenticator app, mobile phone,
//! office phone, alternate email, security questions) and, when they forget their password,
//! get back in alone ("get back into your account"): who are you and a CAPTCHA, one or two
//! verification gates with distinct factors, then a new password that must pass the strength
//! rules.
//!
//! sspr-core supplies the policy, the state machines, codes, constant-time verification, rate
//! limits and password rules. The host supplies everything that touches the outside world
//! through [`ports`]: storage, message delivery, the user directory, CAPTCHA, the clock and
//! randomness. [`memory`] has a thread-safe in-memory implementation of every port.
//!
//! Start with [`Policy`], the policy document, and [`engine::Engine`], which runs both wizards.
//!
//! ```
//! use sspr_core::engine::{Engine, EngineOptions, SecurityInfoImport};
//! use sspr_core::memory::MemoryPorts;
//! use sspr_core::reset::ResetInput;
//! use sspr_core::{DirectoryUser, IdentityKey, KeyRing, Policy, ResetOption, SecretString, UserId};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // The in-memory ports, a user with an alternate email, and the default policy.
//! let mem = MemoryPorts::for_tests(1_750_000_000, 7, "captcha-ok");
//! let alice = UserId::new("u-1");
//! mem.directory.add_user(DirectoryUser {
//!     id: alice.clone(), username: "alice@contoso.example".into(), first_name: "Alice".into(),
//!     last_name: "Smith".into(), org_name: "Contoso".into(), groups: vec![], admin: false,
//! }, "Winter-Lantern-58");
//! // Code keys (rotated: newest first) and the identity key (never rotated), both secret.
//! // Security info is sealed at rest with a key derived from the identity key unless
//! // `options.sealing` names keys of the host's own.
//! let options = EngineOptions::new(KeyRing::single("k1", vec![42; 32])?, IdentityKey::new(vec![43; 32])?, "Contoso");
//! let engine = Engine::new(Policy::default(), mem.ports(), options)?;
//! let import = SecurityInfoImport { email: Some("alice.smith@fabrikam.example".into()), ..Default::default() };
//! engine.import_security_info(&alice, &import)?;
//!
//! // "Get back into your account": who are you, email a code, enter it, choose a password.
//! let flow = engine.start_reset("alice@contoso.example", "captcha-ok", None)?.view.ok_or("no flow")?.flow_id;
//! engine.reset_step(&flow, ResetInput::Choose(ResetOption::Email))?;
//! let code = mem.notifier.take().into_iter().find_map(|m| m.code).ok_or("no code")?;
//! engine.reset_step(&flow, ResetInput::EnterCode(code))?;
//! let new = SecretString::new("quiet lantern orchard 4417");
//! let done = engine.reset_step(&flow, ResetInput::NewPassword { password: new.clone(), confirm: new })?;
//! assert_eq!(done.view.ok_or("no view")?.state, "completed");
//! assert!(mem.directory.password_of(&alice).ok_or("no user")?.ct_eq("quiet lantern orchard 4417"));
//! # Ok(())
//! # }
//! ```

#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![warn(unreachable_pub)]

// What a host names: the modules below, and the re-exports after them. Everything else is
// the machinery behind them. Modules marked "internals" keep `pub` items for
// `testing::internals`, through which the fuzz targets and benches reach them.
mod answers;
mod approval;
pub mod audit;
mod challenge;
#[cfg_attr(not(feature = "testing"), allow(unreachable_pub))] // internals
mod code;
mod contact;
mod decoy;
mod effect;
pub mod engine;
mod error;
mod flow;
pub mod hashing;
#[cfg_attr(not(feature = "testing"), allow(unreachable_pub))] // internals
mod keyring;
pub mod memory;
mod method;
pub mod otp;
pub mod password;
pub mod policy;
pub mod ports;
mod question_draw;
pub mod questions;
mod random;
mod reason;
// Recovery codes, generated and redeemed here; no wizard offers them yet.
#[cfg_attr(not(feature = "testing"), allow(unreachable_pub, dead_code))] // internals
mod recovery;
pub mod registration;
pub mod reset;
mod screen_ids;
mod sealing;
mod secret;
#[cfg_attr(not(feature = "testing"), allow(unreachable_pub))] // internals
mod security_info;
#[cfg(feature = "store-conformance")]
pub mod testing;
#[cfg_attr(not(feature = "testing"), allow(unreachable_pub))] // internals
mod totp;
mod user;

pub use contact::{EmailAddress, PhoneNumber};
pub use decoy::DecoyProfile;
pub use error::{Error, InputError, MisuseError, PortError, PortErrorKind, PortName};
pub use keyring::{IdentityKey, KeyRing, MIN_KEY_LEN};
pub use method::{Factor, Method, ResetOption, UnknownName};
pub use policy::{Policy, PolicyError};
pub use reason::{Reason, UnknownReason};
pub use sealing::SealingKeys;
pub use secret::SecretString;
pub use user::{DirectoryUser, UserId};
