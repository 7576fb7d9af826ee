//! The catalog: flowq.yaml (sources and their tables) and the saved
//! searches under searches/, the named lists under lists/ and the lookup
//! tables under lookups/, read and validated.

pub mod config;
pub mod folder;
pub mod lists;
pub mod lookups;
pub mod search;
pub mod validate;
pub mod yaml;
