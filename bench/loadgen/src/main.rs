//! `loadgen`: drives a Socket.IO v5 server over Engine.IO v4 (WebSocket or long-polling) for turbosio's
//! benchmarks, and prints one JSON line per run. See `cli::USAGE` for the scenarios and options.

mod cli;
mod error;
mod latency;
mod msgpack;
mod polling;
mod report;
mod scenario;
mod transport;
mod usage;
mod websocket;

use std::io::Write;
use std::process::ExitCode;

use cli::{Options, USAGE};
use report::Report;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|arg| arg == "--help" || arg == "-h") {
        let _ = std::io::stdout().write_all(USAGE.as_bytes());
        return ExitCode::SUCCESS;
    }
    let options = match Options::parse(args) {
        Ok(options) => options,
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "loadgen: {e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    if options.msgpack {
        msgpack::enable();
    }
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "loadgen: cannot start the runtime: {e}");
            return ExitCode::from(2);
        }
    };
    // perf: one thread (the driver pins us to one core); LocalSet lets the clients share state through Rc/Cell.
    let local = tokio::task::LocalSet::new();
    let report = local.block_on(&runtime, async {
        let outcome = tokio::time::timeout(options.hard_limit(), scenario::run(&options)).await;
        outcome.unwrap_or_else(|_| {
            let mut report = Report::new(&options, "-");
            report.fail(format!("run exceeded its hard limit of {:?}", options.hard_limit()));
            report
        })
    });
    let _ = writeln!(std::io::stdout(), "{}", report.to_line());
    if options.check && !report.is_ok() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
