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
//! Start with [`Policy`], the policy document.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod answers;
pub mod approval;
pub mod audit;
pub mod code;
pub mod contact;
pub mod effect;
pub mod engine;
pub mod error;
pub mod hashing;
pub mod keyring;
pub mod memory;
pub mod method;
pub mod otp;
pub mod password;
pub mod policy;
pub mod ports;
pub mod questions;
pub mod random;
pub mod reason;
pub mod recovery;
pub mod registration;
pub mod reset;
pub mod secret;
pub mod security_info;
pub mod testing;
pub mod totp;
pub mod user;

pub use contact::{EmailAddress, PhoneNumber};
pub use error::{Error, InputError, MisuseError, PortError, PortErrorKind, PortName};
pub use method::{Factor, Method, ResetOption};
pub use policy::{Policy, PolicyError};
pub use reason::Reason;
pub use secret::SecretString;
pub use security_info::SecurityInfo;
pub use user::{DirectoryUser, UserId};
