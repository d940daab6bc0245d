//! Process exit statuses (docs/exit-codes.md): the number of each status
//! ([`ExitStatus::code`]), the batch's worst-first order and the monitoring
//! plugin states. Which category has which status is `diagnose/category.rs`'s.

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
    /// `--format nagios`: a monitoring-plugins state (its own code space, 0–3).
    Plugin(PluginState),
}

/// The monitoring-plugins states (`--format nagios`, as `check_smtp` uses them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum PluginState {
    /// 0: the login works (and the certificate is not close to expiry).
    Ok,
    /// 1: works, but needs attention soon (certificate, temporary refusal, warning).
    Warning,
    /// 2: the login does not work.
    Critical,
    /// 3: smtp-doctor could not check (usage error).
    Unknown,
}

impl PluginState {
    pub fn code(self) -> u8 {
        match self {
            PluginState::Ok => 0,
            PluginState::Warning => 1,
            PluginState::Critical => 2,
            PluginState::Unknown => 3,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            PluginState::Ok => "OK",
            PluginState::Warning => "WARNING",
            PluginState::Critical => "CRITICAL",
            PluginState::Unknown => "UNKNOWN",
        }
    }

    /// Rank for "the worst of several": CRITICAL > WARNING > UNKNOWN > OK.
    pub fn severity(self) -> u8 {
        match self {
            PluginState::Ok => 0,
            PluginState::Unknown => 1,
            PluginState::Warning => 2,
            PluginState::Critical => 3,
        }
    }
}

/// The order in which `check --batch` picks "the worst account's code":
/// smtp-doctor's own failure first, then the broadest breakage (a protocol
/// problem, an unreachable server, TLS) before problems of one account
/// (credentials, policy), then temporary ones, then healthy.
pub const BATCH_ORDER: [u8; 8] = [2, 1, 3, 4, 5, 6, 7, 0];

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
            ExitStatus::Plugin(p) => p.code(),
        }
    }

    /// Position in [`BATCH_ORDER`]: higher is worse.
    pub fn batch_rank(self) -> usize {
        let code = self.code();
        BATCH_ORDER.len() - BATCH_ORDER.iter().position(|c| *c == code).unwrap_or(0)
    }

    /// The worse of two statuses by [`BATCH_ORDER`].
    pub fn worst(self, other: ExitStatus) -> ExitStatus {
        if other.batch_rank() > self.batch_rank() {
            other
        } else {
            self
        }
    }
}

impl From<ExitStatus> for std::process::ExitCode {
    fn from(s: ExitStatus) -> Self {
        std::process::ExitCode::from(s.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_order_is_2_1_3_4_5_6_7_0() {
        use ExitStatus::*;
        let all = [
            Healthy,
            Temporary,
            Policy,
            Credentials,
            Tls,
            Unreachable,
            Problem,
            Usage,
        ];
        let worst = all.iter().fold(Healthy, |w, s| w.worst(*s));
        assert_eq!(worst, Usage);
        assert_eq!(Temporary.worst(Healthy), Temporary);
        assert_eq!(Credentials.worst(Temporary), Credentials);
        assert_eq!(Policy.worst(Credentials), Credentials);
        assert_eq!(Tls.worst(Credentials), Tls);
        assert_eq!(Unreachable.worst(Tls), Unreachable);
        assert_eq!(Problem.worst(Unreachable), Problem);
    }
}
