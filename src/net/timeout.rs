//! Per-stage deadlines: the only place that calls `tokio::time::timeout`.
//!
//! Every stage has its own deadline (design pitfall: one session-wide timeout
//! cannot say *where* it hung), and the error names the stage.

use super::ProbeError;
use crate::stage::Stage;
use std::future::Future;
use std::time::Duration;

/// Runs `fut`, or fails with `ProbeError::Timeout { stage }` after `after`.
pub async fn with_timeout<T>(
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
