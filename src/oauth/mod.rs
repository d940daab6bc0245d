//! OAuth readiness. For now: the dated provider policies that make OAuth
//! necessary (`policy`), quoted by the catalogue.

pub mod policy;
