//! Per-stage deadlines: the only place that calls `tokio::time::timeout`.
//!
//! Every stage has its own deadline (design pitfall: one session-wide timeout
//! cannot say *where* it hung), and the error names the stage.

use super::ProbeError;
use crate::stage::Stage;
use std::future::Future;
use std::time::Duration;

/// Runs `fut`, or fails with `ProbeError::Timeout { stage }` after `after`.
pub(crate) async fn with_timeout<T>(
    stage: Stage,
    after: Duration,
    fut: impl Future<Output = Result<T, ProbeError>>,
) -> Result<T, ProbeError> {
    match tokio::time::timeout(after, fut).await {
        Ok(r) => r,
        Err(_) => Err(ProbeError::Timeout {
            stage,
            after,
            bytes_seen: 0,
        }),
    }
}

/// `fut`'s output if it finishes before `deadline`, else `None` (for work
/// with no stage of its own, such as the second connection of the greeting
/// race, which has no error to report when it runs out of time).
pub(crate) async fn before<T>(
    deadline: tokio::time::Instant,
    fut: impl Future<Output = T>,
) -> Option<T> {
    tokio::time::timeout_at(deadline, fut).await.ok()
}
