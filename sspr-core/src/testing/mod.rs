//! Tools for proving a host's port implementations right (`store_conformance`, feature
//! `store-conformance`), and, with the `testing` feature, the demo fixtures that tests, benches,
//! fuzz targets and examples share and the internals they exercise directly.

#[cfg(feature = "testing")]
pub mod fixtures;
#[cfg(feature = "testing")]
pub mod internals;
pub mod store_conformance;
