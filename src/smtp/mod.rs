//! Pure SMTP protocol types: replies, commands, EHLO capabilities, SASL encodings.
//!
//! No I/O, no tokio, no clocks: feed lines in, get values out. Everything here
//! is testable with plain byte strings.

pub mod capabilities;
pub mod command;
pub mod reply;
pub mod sasl;

pub use capabilities::Capabilities;
pub use command::Command;
pub use reply::{EnhancedStatus, Reply, ReplyError, ReplyParser};
