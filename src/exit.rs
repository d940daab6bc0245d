//! Process exit statuses (CONTRACT.md "Exit codes"): the only place with the numbers.

/// What the process reports to its caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ExitStatus {
    /// 0: healthy (warnings allowed).
    Healthy,
    /// 1: a problem: `protocol-error` or `other`.
    Problem,
    /// 2: usage error, or smtp-doctor itself could not do its job.
    Usage,
    /// 3: unreachable: DNS, connect, greeting.
    Unreachable,
    /// 4: TLS.
    Tls,
    /// 5: credentials.
    Credentials,
    /// 6: account or server policy.
    Policy,
    /// 7: temporary.
    Temporary,
}

impl ExitStatus {
    pub fn code(self) -> u8 {
        match self {
            ExitStatus::Healthy => 0,
            ExitStatus::Problem => 1,
            ExitStatus::Usage => 2,
            ExitStatus::Unreachable => 3,
            ExitStatus::Tls => 4,
            ExitStatus::Credentials => 5,
            ExitStatus::Policy => 6,
            ExitStatus::Temporary => 7,
        }
    }
}

impl From<ExitStatus> for std::process::ExitCode {
    fn from(s: ExitStatus) -> Self {
        std::process::ExitCode::from(s.code())
    }
}
