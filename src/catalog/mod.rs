//! The catalog: flowq.yaml (sources and their tables) and the saved
//! searches under searches/, read from YAML and validated.

pub mod config;
pub mod search;
pub mod validate;
pub mod yaml;
