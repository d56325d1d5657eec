//! Tools for proving a host's port implementations right.

pub mod store_conformance;
