//! Many accounts in one run (`check --batch FILE`), below the command line.
//!
//! `input` reads and validates the file (every secret loaded before the
//! first connection; each row a set of overrides of the command line's
//! `CheckConfig`), `schedule` runs the checks concurrently under the
//! `--jobs` / `--per-host` limits with back-off, and `summary` adds up the
//! results. `commands/batch.rs` drives them and writes the output.

pub(crate) mod input;
pub(crate) mod schedule;
pub(crate) mod summary;
