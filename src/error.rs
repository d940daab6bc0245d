//! Errors of smtp-doctor itself (exit 2): bad input, unreadable files, I/O on
//! stdout. Never used for what a server did; that is a diagnosis.

/// Why smtp-doctor could not do its job.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The command line makes no sense as given.
    #[error("{message}")]
    Usage {
        message: String,
        hint: Option<String>,
    },
    /// A file could not be read.
    #[error("cannot read {what} {path}: {source}")]
    Read {
        what: &'static str,
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// Writing the report failed.
    #[error("cannot write output: {0}")]
    Output(#[from] std::io::Error),
}

impl Error {
    pub fn usage(message: impl Into<String>) -> Error {
        Error::Usage {
            message: message.into(),
            hint: None,
        }
    }

    pub fn usage_hint(message: impl Into<String>, hint: impl Into<String>) -> Error {
        Error::Usage {
            message: message.into(),
            hint: Some(hint.into()),
        }
    }

    pub fn hint(&self) -> Option<&str> {
        match self {
            Error::Usage { hint, .. } => hint.as_deref(),
            _ => None,
        }
    }
}
