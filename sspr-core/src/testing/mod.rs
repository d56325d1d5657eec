//! Tools for proving a host's port implementations right, and the demo fixtures tests,
//! benches, fuzz targets and examples share.

pub mod fixtures;
pub mod internals;
pub mod store_conformance;
