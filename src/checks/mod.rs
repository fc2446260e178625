//! The judge: turns observations and the resolution into findings (codes, severities, hints)
//! and per-target check results. Touches no network.

pub mod cert;
pub mod compat;
pub mod discovery;
pub mod keys;
pub mod name;
pub mod target;
