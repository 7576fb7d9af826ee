//! The command line: arguments, commands, what is printed and the exit
//! codes. Nothing else in the crate prints or picks an exit code.

mod args;
pub mod commands;
pub mod cost;
pub mod demo;
pub mod failure;
pub mod run;
pub mod terminal;
mod values;

pub use args::main;
