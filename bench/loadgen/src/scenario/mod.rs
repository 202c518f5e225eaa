//! The six scenarios. Each takes the parsed options and returns a [`Report`]; none of them loops without a
//! bound in time and count. Shared here: connecting many clients with bounded concurrency, and timing the
//! measured window.

mod broadcast;
mod churn;
mod echo;
mod idle;
mod storm;

use std::cell::{Cell, RefCell};
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::Duration;

use tokio::task::JoinHandle;
use tokio::time::{Instant, sleep_until, timeout};

use crate::cli::{Options, Scenario};
use crate::error::{ClientError, ErrorLog};
use crate::latency::Latencies;
use crate::polling::Polling;
use crate::report::Report;
use crate::transport::Transport;
use crate::usage::{Meter, WindowUsage};
use crate::websocket::WebSocket;

/// Runs the scenario the options name.
pub(crate) async fn run(options: &Options) -> Report {
    match options.scenario {
        Scenario::Echo => echo::run::<WebSocket>(options).await,
        Scenario::Polling => echo::run::<Polling>(options).await,
        Scenario::Broadcast => broadcast::run(options).await,
        Scenario::Storm => storm::run(options).await,
        Scenario::Idle => idle::run(options).await,
        Scenario::Churn => churn::run(options).await,
    }
}

pub(crate) type SharedErrors = Rc<RefCell<ErrorLog>>;

/// The measured part of a run: after the warm-up, for `--duration`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Window {
    pub(crate) from: Instant,
    pub(crate) until: Instant,
}

impl Window {
    pub(crate) fn starting_now(options: &Options) -> Self {
        let from = Instant::now() + options.warmup;
        Self {
            from,
            until: from + options.duration,
        }
    }

    pub(crate) fn contains(&self, at: Instant) -> bool {
        at >= self.from && at <= self.until
    }

    /// Reads CPU use over the window, in the background.
    pub(crate) fn meter(self, server_pid: Option<u32>) -> JoinHandle<WindowUsage> {
        tokio::task::spawn_local(async move {
            sleep_until(self.from).await;
            let meter = Meter::start(server_pid);
            sleep_until(self.until).await;
            meter.stop()
        })
    }
}

/// Connects `count` clients, at most `concurrency` at a time. Returns the connected ones and how long each
/// took through the CONNECT answer; failures go to `errors`.
pub(crate) async fn connect_all<T: Transport + 'static>(
    addr: SocketAddr,
    count: usize,
    concurrency: usize,
    limit: Duration,
    errors: &SharedErrors,
) -> (Vec<T>, Latencies) {
    let next = Rc::new(Cell::new(0_usize));
    let workers: Vec<_> = (0..concurrency.min(count))
        .map(|_| {
            let next = Rc::clone(&next);
            let errors = Rc::clone(errors);
            tokio::task::spawn_local(async move {
                let mut connected = Vec::new();
                let mut latencies = Latencies::default();
                while next.get() < count {
                    next.set(next.get() + 1);
                    let started = Instant::now();
                    match timeout(limit, T::connect(addr)).await {
                        Ok(Ok(client)) => {
                            latencies.record(started.elapsed());
                            connected.push(client);
                        }
                        Ok(Err(e)) => errors.borrow_mut().record("connect", &e),
                        Err(_) => errors
                            .borrow_mut()
                            .record("connect", &ClientError::Timeout("the CONNECT answer")),
                    }
                }
                (connected, latencies)
            })
        })
        .collect();
    let mut all = Vec::with_capacity(count);
    let mut latencies = Latencies::default();
    for worker in workers {
        match worker.await {
            Ok((connected, worker_latencies)) => {
                all.extend(connected);
                latencies.merge(worker_latencies);
            }
            Err(e) => errors.borrow_mut().record_message(format!("connect worker: {e}")),
        }
    }
    (all, latencies)
}

/// spec: a Socket.IO ack is `43<id><json array>`; returns the id and the array's text.
pub(crate) fn parse_ack(packet: &str) -> Option<(u64, &str)> {
    let rest = packet.strip_prefix("43")?;
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let id = rest.get(..digits)?.parse().ok()?;
    Some((id, rest.get(digits..)?))
}

/// Whether two JSON texts hold the same value (key order and spacing aside).
pub(crate) fn same_json(left: &str, right: &str) -> bool {
    left == right
        || matches!(
            (serde_json::from_str::<serde_json::Value>(left), serde_json::from_str::<serde_json::Value>(right)),
            (Ok(a), Ok(b)) if a == b
        )
}

/// `count` events over `over`, per second.
#[expect(clippy::cast_precision_loss, reason = "counts stay far below 2^52")]
pub(crate) fn per_second(count: u64, over: Duration) -> f64 {
    if over.is_zero() {
        0.0
    } else {
        count as f64 / over.as_secs_f64()
    }
}

/// The report every scenario gives when nobody could connect.
pub(crate) fn nobody_connected(mut report: Report, errors: &SharedErrors) -> Report {
    report.fail("no client connected");
    report.take_errors(errors);
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_acks() {
        assert_eq!(parse_ack("4312[{\"n\":1}]"), Some((12, "[{\"n\":1}]")));
        assert_eq!(parse_ack("42[\"tick\"]"), None);
        assert_eq!(parse_ack("43[1]"), None);
    }

    #[test]
    fn compares_json_by_value() {
        assert!(same_json("[{\"a\":1,\"b\":\"x\"}]", "[{\"b\": \"x\", \"a\": 1}]"));
        assert!(!same_json("[{\"a\":1}]", "[{\"a\":2}]"));
        assert!(!same_json("[1", "[2"));
    }
}
