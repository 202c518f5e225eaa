//! echo (and polling, the same over long-polling): closed loop, each client emits
//! `42<id>["echo",{"n":<id>,"pad":".."}]` and waits for `43<id>[<the same object>]` before the next one. An ack
//! counts only when its id and body match what was sent.

use std::rc::Rc;
use std::time::Duration;

use tokio::time::{Instant, timeout};

use super::{SharedErrors, Window, connect_all, nobody_connected, parse_ack, per_second, same_json};
use crate::cli::Options;
use crate::error::ClientError;
use crate::latency::Latencies;
use crate::report::Report;
use crate::transport::{Transport, clip};

struct Plan {
    window: Window,
    pad: String,
    max_ops: u64,
    issued: std::cell::Cell<u64>,
    timeout: Duration,
    errors: SharedErrors,
}

#[derive(Default)]
struct Tally {
    acks: u64,
    acks_in_window: u64,
    mismatched: u64,
    unexpected: u64,
    latencies: Latencies,
}

pub(crate) async fn run<T: Transport + 'static>(options: &Options) -> Report {
    let errors = SharedErrors::default();
    let mut report = Report::new(options, T::NAME);
    let (clients, _) = connect_all::<T>(
        options.addr,
        options.clients,
        options.concurrency,
        options.timeout,
        &errors,
    )
    .await;
    report.set("connected", clients.len());
    if clients.is_empty() {
        return nobody_connected(report, &errors);
    }
    let window = Window::starting_now(options);
    let plan = Rc::new(Plan {
        window,
        pad: "x".repeat(options.pad),
        max_ops: options.max_ops,
        issued: std::cell::Cell::new(0),
        timeout: options.timeout,
        errors: Rc::clone(&errors),
    });
    let meter = window.meter(options.server_pid);
    let loops: Vec<_> = clients
        .into_iter()
        .map(|client| tokio::task::spawn_local(client_loop(client, Rc::clone(&plan))))
        .collect();
    let mut total = Tally::default();
    for handle in loops {
        match handle.await {
            Ok(tally) => {
                total.acks += tally.acks;
                total.acks_in_window += tally.acks_in_window;
                total.mismatched += tally.mismatched;
                total.unexpected += tally.unexpected;
                total.latencies.merge(tally.latencies);
            }
            Err(e) => errors.borrow_mut().record_message(format!("client task: {e}")),
        }
    }
    match meter.await {
        Ok(usage) => report.set_usage(usage),
        Err(e) => errors.borrow_mut().record_message(format!("meter: {e}")),
    }
    report.set("acks", total.acks);
    report.set("mismatched", total.mismatched);
    report.set("unexpected", total.unexpected);
    report.set_f64("rate", per_second(total.acks_in_window, options.duration));
    report.set("unit", "acks/s");
    report.set_latency(total.latencies.summary());
    if total.mismatched > 0 {
        report.fail(format!("{} acks did not match what was sent", total.mismatched));
    }
    if total.acks == 0 {
        report.fail("no ack received");
    }
    report.take_errors(&errors);
    report
}

async fn client_loop<T: Transport>(mut client: T, plan: Rc<Plan>) -> Tally {
    let mut tally = Tally::default();
    let mut id: u64 = 0;
    while Instant::now() < plan.window.until && plan.issued.get() < plan.max_ops {
        plan.issued.set(plan.issued.get() + 1);
        id += 1;
        let body = format!(r#"{{"n":{id},"pad":"{}"}}"#, plan.pad);
        let expected = format!("[{body}]");
        let packet = format!(r#"42{id}["echo",{body}]"#);
        let sent_at = Instant::now();
        if let Err(e) = client.send(&packet).await {
            plan.errors.borrow_mut().record("emit", &e);
            break;
        }
        let matched = match timeout(plan.timeout, wait_ack(&mut client, id, &expected, &mut tally, &plan)).await {
            Ok(Ok(matched)) => matched,
            Ok(Err(e)) => {
                plan.errors.borrow_mut().record("ack", &e);
                break;
            }
            Err(_) => {
                plan.errors.borrow_mut().record("ack", &ClientError::Timeout("an ack"));
                break;
            }
        };
        let done = Instant::now();
        if !matched {
            continue;
        }
        tally.acks += 1;
        if plan.window.contains(sent_at) && plan.window.contains(done) {
            tally.acks_in_window += 1;
            tally.latencies.record(done - sent_at);
        }
    }
    tally
}

/// Reads until the ack with `id` arrives; `Ok(false)` when its body differs from `expected`.
async fn wait_ack<T: Transport>(
    client: &mut T,
    id: u64,
    expected: &str,
    tally: &mut Tally,
    plan: &Plan,
) -> Result<bool, ClientError> {
    loop {
        let packet = client.recv().await?;
        let Some((ack_id, body)) = parse_ack(&packet) else {
            tally.unexpected += 1;
            continue;
        };
        if ack_id != id {
            tally.mismatched += 1;
            plan.errors
                .borrow_mut()
                .record_message(format!("ack id {ack_id} while waiting for {id}"));
            continue;
        }
        if same_json(body, expected) {
            return Ok(true);
        }
        tally.mismatched += 1;
        plan.errors
            .borrow_mut()
            .record_message(format!("ack {id} body {:?}", clip(body)));
        return Ok(false);
    }
}
