//! broadcast: C receivers connect and emit `join` (the server puts them in room `bench`); one more client, the
//! trigger, emits `42["broadcast",{"seq":N,"t":<µs>}]` and the server emits `tick` with that data to the room.
//! Each receiver checks its sequence numbers, so a report counts lost, duplicated and out-of-order deliveries.
//!
//! With `--trigger-addr`, the trigger talks to another node of a fleet than the receivers, so every delivery
//! crosses the fleet's pub/sub channel.
//!
//! The trigger runs a closed loop (at most `--window` broadcasts not yet delivered to every receiver) or, with
//! `--rate`, a steady rate. It never reads, so runs stay shorter than the server's ping timeout.

use std::cell::Cell;
use std::collections::BTreeSet;
use std::rc::Rc;
use std::time::Duration;

use tokio::sync::{Notify, watch};
use tokio::time::{Instant, sleep_until, timeout, timeout_at};

use super::{SharedErrors, Window, connect_all, nobody_connected, parse_ack, per_second};
use crate::cli::Options;
use crate::error::ClientError;
use crate::latency::Latencies;
use crate::report::Report;
use crate::transport::{Transport, clip};
use crate::websocket::WebSocket;

/// What one receiver saw of the sequence 1, 2, 3...
#[derive(Debug, Default)]
struct Sequence {
    highest: u64,
    /// Numbers skipped over so far; one arriving later is out of order, not lost.
    missing: BTreeSet<u64>,
    received: u64,
    duplicated: u64,
    out_of_order: u64,
}

impl Sequence {
    fn observe(&mut self, seq: u64) {
        self.received += 1;
        if seq > self.highest {
            self.missing.extend(self.highest + 1..seq);
            self.highest = seq;
        } else if self.missing.remove(&seq) {
            self.out_of_order += 1;
        } else {
            self.duplicated += 1;
        }
    }

    /// Numbers up to `sent` never received.
    fn lost(&self, sent: u64) -> u64 {
        self.missing.len() as u64 + sent.saturating_sub(self.highest)
    }
}

struct Shared {
    window: Window,
    /// `t` in the payload is microseconds since this instant.
    epoch: Instant,
    delivered: Cell<u64>,
    wake_at: Cell<u64>,
    progress: Notify,
    errors: SharedErrors,
}

impl Shared {
    fn delivered_one(&self) {
        self.delivered.set(self.delivered.get() + 1);
        if self.delivered.get() >= self.wake_at.get() {
            self.progress.notify_one();
        }
    }

    /// Waits until `count` deliveries have been made in total, or `deadline`; says whether they were.
    async fn wait_delivered(&self, count: u64, deadline: Instant) -> bool {
        loop {
            if self.delivered.get() >= count {
                return true;
            }
            self.wake_at.set(count);
            if timeout_at(deadline, self.progress.notified()).await.is_err() {
                return self.delivered.get() >= count;
            }
        }
    }

    fn micros_at(&self, at: Instant) -> u64 {
        u64::try_from(at.duration_since(self.epoch).as_micros()).unwrap_or(u64::MAX)
    }
}

#[derive(Default)]
struct Tally {
    sequence: Sequence,
    in_window: u64,
    latencies: Latencies,
}

/// The number after `quoted_key:` (e.g. `"seq":`) in a flat JSON object, spaces allowed.
fn field_u64(text: &str, quoted_key: &str) -> Option<u64> {
    let after = text.get(text.find(quoted_key)? + quoted_key.len()..)?.trim_start();
    let value = after.strip_prefix(':')?.trim_start();
    let digits = value.bytes().take_while(u8::is_ascii_digit).count();
    value.get(..digits)?.parse().ok()
}

/// spec: `42["tick",{"seq":N,"t":T}]` with any spacing the server's JSON encoder chooses.
fn parse_tick(packet: &str) -> Option<(u64, u64)> {
    let rest = packet.strip_prefix("42")?.trim_start().strip_prefix('[')?.trim_start();
    let data = rest.strip_prefix("\"tick\"")?;
    Some((field_u64(data, r#""seq""#)?, field_u64(data, r#""t""#)?))
}

async fn join_room(client: &mut WebSocket, limit: Duration) -> Result<(), ClientError> {
    client.send(r#"421["join"]"#).await?;
    let answer = timeout(limit, client.recv())
        .await
        .map_err(|_| ClientError::Timeout("the join ack"))??;
    match parse_ack(&answer) {
        Some((1, _)) => Ok(()),
        _ => Err(ClientError::Protocol(format!("join answered {:?}", clip(&answer)))),
    }
}

async fn receive_loop(mut client: WebSocket, shared: Rc<Shared>, mut stop: watch::Receiver<bool>) -> Tally {
    let mut tally = Tally::default();
    loop {
        let packet = tokio::select! {
            biased;
            packet = client.recv() => packet,
            _ = stop.changed() => break,
        };
        let packet = match packet {
            Ok(packet) => packet,
            Err(e) => {
                shared.errors.borrow_mut().record("receive", &e);
                break;
            }
        };
        let Some((seq, sent_us)) = parse_tick(&packet) else {
            shared
                .errors
                .borrow_mut()
                .record_message(format!("unexpected packet {:?}", clip(&packet)));
            continue;
        };
        let now = Instant::now();
        tally.sequence.observe(seq);
        shared.delivered_one();
        if shared.window.contains(now) {
            tally.in_window += 1;
            tally.latencies.record_us(shared.micros_at(now).saturating_sub(sent_us));
        }
    }
    tally
}

#[expect(clippy::cast_precision_loss, reason = "sequence numbers stay far below 2^52")]
fn steady_send_time(start: Instant, seq: u64, rate: f64) -> Instant {
    start + Duration::from_secs_f64((seq - 1) as f64 / rate)
}

/// Emits broadcasts until the window closes or `--max` is reached; returns how many were sent.
async fn trigger_loop(trigger: &mut WebSocket, options: &Options, shared: &Shared, receivers: u64) -> u64 {
    let start = Instant::now();
    let mut sent = 0;
    while Instant::now() < shared.window.until && sent < options.max_ops {
        let seq = sent + 1;
        if options.rate > 0.0 {
            sleep_until(steady_send_time(start, seq, options.rate)).await;
        } else if seq > options.window {
            let needed = receivers * (seq - options.window);
            if !shared.wait_delivered(needed, Instant::now() + options.timeout).await {
                shared.errors.borrow_mut().record_message(format!(
                    "broadcast {seq}: {} of {needed} earlier deliveries after {:?}",
                    shared.delivered.get(),
                    options.timeout
                ));
                break;
            }
        }
        let packet = format!(
            r#"42["broadcast",{{"seq":{seq},"t":{}}}]"#,
            shared.micros_at(Instant::now())
        );
        if let Err(e) = trigger.send(&packet).await {
            shared.errors.borrow_mut().record("trigger", &e);
            break;
        }
        sent = seq;
    }
    sent
}

pub(crate) async fn run(options: &Options) -> Report {
    let errors = SharedErrors::default();
    let mut report = Report::new(options, "websocket");
    let (mut receivers, _) = connect_all::<WebSocket>(
        options.addr,
        options.clients,
        options.concurrency,
        options.timeout,
        &errors,
    )
    .await;
    for receiver in &mut receivers {
        if let Err(e) = join_room(receiver, options.timeout).await {
            errors.borrow_mut().record("join", &e);
        }
    }
    let mut trigger = match WebSocket::connect(options.trigger_addr.unwrap_or(options.addr)).await {
        Ok(trigger) => trigger,
        Err(e) => {
            errors.borrow_mut().record("trigger connect", &e);
            return nobody_connected(report, &errors);
        }
    };
    report.set("connected", receivers.len());
    if receivers.is_empty() {
        return nobody_connected(report, &errors);
    }
    let receiver_count = receivers.len() as u64;
    let window = Window::starting_now(options);
    let shared = Rc::new(Shared {
        window,
        epoch: Instant::now(),
        delivered: Cell::new(0),
        wake_at: Cell::new(u64::MAX),
        progress: Notify::new(),
        errors: Rc::clone(&errors),
    });
    let (stop_tx, stop_rx) = watch::channel(false);
    let loops: Vec<_> = receivers
        .into_iter()
        .map(|receiver| tokio::task::spawn_local(receive_loop(receiver, Rc::clone(&shared), stop_rx.clone())))
        .collect();
    let meter = window.meter(options.server_pid);
    let sent = trigger_loop(&mut trigger, options, &shared, receiver_count).await;
    // Let the last broadcasts arrive before counting what's missing.
    let drained = shared
        .wait_delivered(receiver_count * sent, Instant::now() + options.timeout)
        .await;
    let _ = stop_tx.send(true);
    trigger.close().await;

    let mut sequence_totals = (0, 0, 0, 0); // received, lost, duplicated, out of order
    let mut in_window = 0;
    let mut latencies = Latencies::default();
    for handle in loops {
        match handle.await {
            Ok(tally) => {
                sequence_totals.0 += tally.sequence.received;
                sequence_totals.1 += tally.sequence.lost(sent);
                sequence_totals.2 += tally.sequence.duplicated;
                sequence_totals.3 += tally.sequence.out_of_order;
                in_window += tally.in_window;
                latencies.merge(tally.latencies);
            }
            Err(e) => errors.borrow_mut().record_message(format!("receiver task: {e}")),
        }
    }
    match meter.await {
        Ok(usage) => report.set_usage(usage),
        Err(e) => errors.borrow_mut().record_message(format!("meter: {e}")),
    }
    let (received, lost, duplicated, out_of_order) = sequence_totals;
    report.set("mode", if options.rate > 0.0 { "steady" } else { "closed-loop" });
    report.set("broadcasts", sent);
    report.set("expected_deliveries", receiver_count * sent);
    report.set("deliveries", received);
    report.set("lost", lost);
    report.set("duplicated", duplicated);
    report.set("out_of_order", out_of_order);
    report.set_f64("rate", per_second(in_window, options.duration));
    report.set("unit", "deliveries/s");
    report.set_latency(latencies.summary());
    if !drained {
        report.fail("not every broadcast reached every receiver in time");
    }
    for (count, what) in [
        (lost, "lost"),
        (duplicated, "duplicated"),
        (out_of_order, "out-of-order"),
    ] {
        if count > 0 {
            report.fail(format!("{count} {what} deliveries"));
        }
    }
    if sent == 0 {
        report.fail("no broadcast sent");
    }
    report.take_errors(&errors);
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequence_in_order() {
        let mut sequence = Sequence::default();
        for seq in 1..=5 {
            sequence.observe(seq);
        }
        assert_eq!(
            (sequence.lost(5), sequence.duplicated, sequence.out_of_order),
            (0, 0, 0)
        );
        assert_eq!(sequence.lost(7), 2);
    }

    #[test]
    fn sequence_gap_late_and_repeated() {
        let mut sequence = Sequence::default();
        for seq in [1, 3, 2, 3, 5] {
            sequence.observe(seq);
        }
        assert_eq!(
            (sequence.lost(5), sequence.duplicated, sequence.out_of_order),
            (1, 1, 1)
        );
    }

    #[test]
    fn parses_ticks_with_any_spacing() {
        assert_eq!(parse_tick(r#"42["tick",{"seq":7,"t":123}]"#), Some((7, 123)));
        assert_eq!(parse_tick(r#"42["tick", {"seq": 7, "t": 123}]"#), Some((7, 123)));
        assert_eq!(parse_tick(r#"42["tock",{"seq":7,"t":123}]"#), None);
        assert_eq!(parse_tick("431[true]"), None);
    }
}
