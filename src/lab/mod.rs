//! The lab (placeholder while being built).
pub mod demo;
