//! storm: `--clients` WebSocket connects through the Socket.IO CONNECT answer, `--concurrency` at a time. The
//! connections stay open until the storm is over, then close together.

use tokio::time::Instant;

use super::{SharedErrors, connect_all, per_second};
use crate::cli::Options;
use crate::report::Report;
use crate::usage::Meter;
use crate::websocket::WebSocket;

pub(crate) async fn run(options: &Options) -> Report {
    let errors = SharedErrors::default();
    let mut report = Report::new(options, "websocket");
    let meter = Meter::start(options.server_pid);
    let started = Instant::now();
    let (clients, latencies) = connect_all::<WebSocket>(
        options.addr,
        options.clients,
        options.concurrency,
        options.timeout,
        &errors,
    )
    .await;
    let elapsed = started.elapsed();
    report.set_usage(meter.stop());
    let connected = clients.len();
    drop(clients);
    report.set("connected", connected);
    report.set("concurrency", options.concurrency);
    report.set_f64("rate", per_second(connected as u64, elapsed));
    report.set("unit", "connects/s");
    report.set_latency(latencies.summary());
    if connected < options.clients {
        report.fail(format!(
            "{} of {} connects failed",
            options.clients - connected,
            options.clients
        ));
    }
    report.take_errors(&errors);
    report
}
