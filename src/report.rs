//! The finished result of a command: what `render` prints.

use crate::diagnose::{Category, Diagnosis};
use crate::exit::ExitStatus;
use crate::probe::ProbeReport;

/// Who is being checked.
#[derive(Debug, Clone, Default)]
pub struct Target {
    pub address: Option<String>,
    pub user: Option<String>,
}

/// One command's result: `check` fills `endpoints`, `explain` does not.
#[derive(Debug, Clone)]
pub struct Report {
    pub target: Option<Target>,
    pub endpoints: Option<Vec<ProbeReport>>,
    pub diagnoses: Vec<Diagnosis>,
    pub category: Category,
    /// Include transcripts.
    pub verbose: bool,
}

impl Report {
    pub fn exit_status(&self) -> ExitStatus {
        self.category.exit_status()
    }
}
