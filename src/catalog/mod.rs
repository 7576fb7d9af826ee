//! The catalog: flowq.yaml (sources and their tables) and the saved
//! searches under searches/ and the named lists under lists/, read and
//! validated.

pub mod config;
pub mod lists;
pub mod search;
pub mod validate;
pub mod yaml;
