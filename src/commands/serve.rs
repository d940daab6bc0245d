//! `smtp-doctor serve`: the command line → `serve::Options`, then the server
//! in `crate::serve` (config, exporter, HTTP side).

use crate::cli::ServeArgs;
use crate::error::Error;
use crate::exit::ExitStatus;
use crate::serve;

pub(crate) fn run(args: &ServeArgs) -> Result<ExitStatus, Error> {
    serve::run(serve::Options {
        config: args.config.clone(),
        listen: args.listen,
        check_only: args.check_config,
        explain: super::explain::explain_bytes,
    })
}
