//! churn: for `--duration` seconds, `--clients` workers each repeat a short life: connect over WebSocket, join
//! room `bench`, one acked echo, then leave, every other time politely (Socket.IO DISCONNECT, then a WebSocket
//! close) and otherwise by dropping the TCP connection with no goodbye at all. The run is two halves. Before the
//! first connect and after each half (once the server had up to `--hold` seconds to notice), the server's RSS and
//! open descriptors are read from /proc, and a fresh client asks the app's `stats` handler how many sockets and
//! named rooms it holds. With `--check`, sockets, rooms or descriptors left above the baseline fail the run. RSS
//! is reported, not checked: after the first half it includes what the allocator keeps for reuse, so the second
//! half's growth is the one that would show a leak.

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use tokio::time::{Instant, sleep, timeout};

use super::{SharedErrors, parse_ack, per_second};
use crate::cli::Options;
use crate::error::ClientError;
use crate::latency::Latencies;
use crate::report::Report;
use crate::transport::Transport;
use crate::usage::rss_kib;
use crate::websocket::WebSocket;

/// Descriptors the server may hold above its baseline afterwards (a listener re-armed, a log file reopened).
const FD_SLACK: usize = 4;

/// What the server holds at one moment.
#[derive(Debug, Clone, Copy, Default)]
struct Holdings {
    rss_kib: Option<u64>,
    fds: Option<usize>,
    sockets: Option<u64>,
    rooms: Option<u64>,
}

fn open_fds(pid: u32) -> Option<usize> {
    std::fs::read_dir(format!("/proc/{pid}/fd")).ok().map(Iterator::count)
}

/// Sends `packet` (an event with ack id `id`) and waits for its ack; returns the ack's array text.
async fn call(client: &mut WebSocket, id: u64, packet: &str) -> Result<String, ClientError> {
    client.send(packet).await?;
    loop {
        let answer = client.recv().await?;
        if let Some((got, args)) = parse_ack(&answer)
            && got == id
        {
            return Ok(args.to_owned());
        }
    }
}

/// Asks the app's `stats` handler from a fresh connection (counted by the server, so it sees one socket: itself).
async fn stats(options: &Options) -> Result<(u64, u64), ClientError> {
    let mut client = WebSocket::connect(options.addr).await?;
    let args = call(&mut client, 1, r#"421["stats"]"#).await?;
    client.close().await;
    let value: serde_json::Value =
        serde_json::from_str(&args).map_err(|e| ClientError::Protocol(format!("bad stats answer {args:?}: {e}")))?;
    let field = |name: &str| {
        value
            .get(0)
            .and_then(|v| v.get(name))
            .and_then(serde_json::Value::as_u64)
    };
    match (field("sockets"), field("rooms")) {
        (Some(sockets), Some(rooms)) => Ok((sockets, rooms)),
        _ => Err(ClientError::Protocol(format!(
            "stats answer without sockets and rooms: {args:?}"
        ))),
    }
}

async fn holdings(options: &Options, errors: &SharedErrors) -> Holdings {
    let (sockets, rooms) = match timeout(options.timeout, stats(options)).await {
        Ok(Ok((sockets, rooms))) => (Some(sockets), Some(rooms)),
        Ok(Err(e)) => {
            errors.borrow_mut().record("stats", &e);
            (None, None)
        }
        Err(_) => {
            errors
                .borrow_mut()
                .record("stats", &ClientError::Timeout("the stats answer"));
            (None, None)
        }
    };
    Holdings {
        rss_kib: options.server_pid.and_then(rss_kib),
        fds: options.server_pid.and_then(open_fds),
        sockets,
        rooms,
    }
}

/// One life of one client; `polite` picks how it ends.
async fn life(options: &Options, n: u64, polite: bool) -> Result<(), ClientError> {
    let mut client = WebSocket::connect(options.addr).await?;
    let joined = call(&mut client, 1, r#"421["join"]"#).await?;
    if joined != "[true]" {
        return Err(ClientError::Protocol(format!("join answered {joined:?}")));
    }
    let echoed = call(&mut client, 2, &format!(r#"422["echo",{{"n":{n}}}]"#)).await?;
    if !super::same_json(&echoed, &format!(r#"[{{"n":{n}}}]"#)) {
        return Err(ClientError::Protocol(format!("echo {n} answered {echoed:?}")));
    }
    if polite {
        client.send("41").await?;
        client.close().await;
    }
    // Otherwise the connection is dropped here: the socket closes with no WebSocket or Socket.IO goodbye.
    Ok(())
}

/// Runs the workers until `until`; returns how many lives failed, and the latencies of the others.
async fn churn(options: &Options, until: Instant, next: &Rc<Cell<u64>>, errors: &SharedErrors) -> (u64, Latencies) {
    let workers: Vec<_> = (0..options.clients)
        .map(|_| {
            let next = Rc::clone(next);
            let errors = Rc::clone(errors);
            let options = options.clone();
            tokio::task::spawn_local(async move {
                let mut latencies = Latencies::default();
                let mut failed = 0_u64;
                while Instant::now() < until {
                    let n = next.get();
                    next.set(n + 1);
                    let began = Instant::now();
                    match timeout(options.timeout, life(&options, n, n.is_multiple_of(2))).await {
                        Ok(Ok(())) => latencies.record(began.elapsed()),
                        Ok(Err(e)) => {
                            failed += 1;
                            errors.borrow_mut().record("life", &e);
                        }
                        Err(_) => {
                            failed += 1;
                            errors
                                .borrow_mut()
                                .record("life", &ClientError::Timeout("a client's life"));
                        }
                    }
                }
                (latencies, failed)
            })
        })
        .collect();
    let mut latencies = Latencies::default();
    let mut failed = 0_u64;
    for worker in workers {
        match worker.await {
            Ok((worker_latencies, worker_failed)) => {
                latencies.merge(worker_latencies);
                failed += worker_failed;
            }
            Err(e) => errors.borrow_mut().record_message(format!("churn worker: {e}")),
        }
    }
    (failed, latencies)
}

/// What the server holds once it had up to `--hold` seconds to get back to `before`.
async fn settled(options: &Options, before: &Holdings, errors: &SharedErrors) -> Holdings {
    // The server notices dropped connections on its own time: look again until it is back to the baseline.
    let settle_until = Instant::now() + options.hold;
    let mut after = holdings(options, errors).await;
    while !is_back(before, &after) && Instant::now() < settle_until {
        sleep(Duration::from_millis(200)).await;
        after = holdings(options, errors).await;
    }
    after
}

pub(crate) async fn run(options: &Options) -> Report {
    let errors = SharedErrors::default();
    let mut report = Report::new(options, "websocket");
    let before = holdings(options, &errors).await;
    let next = Rc::new(Cell::new(0_u64));
    let started = Instant::now();
    let (failed_first, mut latencies) = churn(options, started + options.duration / 2, &next, &errors).await;
    let churned = started.elapsed();
    let mid = settled(options, &before, &errors).await;
    let resumed = Instant::now();
    let (failed_second, second) = churn(options, resumed + options.duration / 2, &next, &errors).await;
    let churned = churned + resumed.elapsed();
    latencies.merge(second);
    let after = settled(options, &before, &errors).await;
    let lives = next.get();
    let failed = failed_first + failed_second;
    report.set("lives", lives);
    report.set("failed_lives", failed);
    report.set_f64("rate", per_second(lives - failed, churned));
    report.set("unit", "lives/s");
    report.set_latency(latencies.summary());
    for (name, value) in [
        ("rss_before_kib", before.rss_kib),
        ("rss_mid_kib", mid.rss_kib),
        ("rss_after_kib", after.rss_kib),
        ("sockets_before", before.sockets),
        ("sockets_after", after.sockets),
        ("rooms_before", before.rooms),
        ("rooms_after", after.rooms),
    ] {
        report.set(name, value);
    }
    report.set("fds_before", before.fds);
    report.set("fds_after", after.fds);
    if failed > 0 {
        report.fail(format!("{failed} of {lives} client lives failed"));
    }
    for (when, held) in [("half way", &mid), ("at the end", &after)] {
        if !is_back(&before, held) {
            report.fail(format!(
                "{when} the server did not return to its baseline: before {before:?}, then {held:?}"
            ));
        }
    }
    report.take_errors(&errors);
    report
}

/// Whether sockets and rooms are back to where they were, and descriptors nearly so.
fn is_back(before: &Holdings, after: &Holdings) -> bool {
    let fds_back = match (before.fds, after.fds) {
        (Some(b), Some(a)) => a <= b + FD_SLACK,
        _ => true,
    };
    after.sockets.is_some() && after.sockets == before.sockets && after.rooms == before.rooms && fds_back
}
