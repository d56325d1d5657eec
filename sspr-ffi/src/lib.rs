//! UniFFI bindings of sspr for Kotlin and Swift.
//!
//! Thin types over [`sspr_core`]: the [`Engine`](engine::Engine) as an object, the ports as
//! foreign traits the host implements in Kotlin or Swift (or the built-in in-memory ones),
//! the database-backed stores (SQLite, PostgreSQL, Redis) as [`Stores`](stores::Stores),
//! policy parsing, password evaluation, the TOTP helpers and the words ([`Catalog`](catalog::Catalog)). Errors are one flat type,
//! [`SsprError`](error::SsprError), carrying no personal data; user-facing refusals are reason
//! ids on results, as in the core.
//!
//! Generate the sources with `bindings/uniffi-bindgen` (library mode); see
//! `bindings/kotlin/README.md` and `bindings/swift/README.md`.

uniffi::setup_scaffolding!();

pub mod catalog;
pub mod engine;
pub mod error;
pub mod memory;
pub mod policy;
pub mod ports;
pub mod stores;
pub mod testing;
pub mod types;
