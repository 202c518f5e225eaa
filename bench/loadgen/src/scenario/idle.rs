//! idle: `--clients` connections held for `--hold` seconds, answering pings. The server's RSS is read before the
//! first connect and at the end of the hold; then every client emits one echo to prove it is still served.

use std::rc::Rc;
use std::time::Duration;

use tokio::time::{Instant, sleep_until, timeout};

use super::{SharedErrors, connect_all, parse_ack};
use crate::cli::Options;
use crate::error::ClientError;
use crate::report::Report;
use crate::transport::Transport;
use crate::usage::rss_kib;
use crate::websocket::WebSocket;

/// Holds one connection until `until`, then checks it with one echo; says whether it is still served.
async fn hold(mut client: WebSocket, until: Instant, limit: Duration, errors: SharedErrors) -> bool {
    loop {
        tokio::select! {
            packet = client.recv() => match packet {
                Ok(_) => {}
                Err(e) => {
                    errors.borrow_mut().record("hold", &e);
                    return false;
                }
            },
            () = sleep_until(until) => break,
        }
    }
    let check = async {
        client.send(r#"421["echo",{"n":1}]"#).await?;
        loop {
            let packet = client.recv().await?;
            if let Some((1, _)) = parse_ack(&packet) {
                return Ok::<(), ClientError>(());
            }
        }
    };
    let result = timeout(limit, check)
        .await
        .unwrap_or(Err(ClientError::Timeout("the echo after the hold")));
    client.close().await;
    match result {
        Ok(()) => true,
        Err(e) => {
            errors.borrow_mut().record("echo after hold", &e);
            false
        }
    }
}

#[expect(clippy::cast_precision_loss, reason = "memory sizes and counts stay far below 2^52")]
fn per_connection(before: u64, after: u64, connections: usize) -> f64 {
    (after as f64 - before as f64) / connections.max(1) as f64
}

pub(crate) async fn run(options: &Options) -> Report {
    let errors = SharedErrors::default();
    let mut report = Report::new(options, "websocket");
    let before = options.server_pid.and_then(rss_kib);
    let (clients, _) = connect_all::<WebSocket>(
        options.addr,
        options.clients,
        options.concurrency,
        options.timeout,
        &errors,
    )
    .await;
    let connected = clients.len();
    let until = Instant::now() + options.hold;
    let holders: Vec<_> = clients
        .into_iter()
        .map(|client| tokio::task::spawn_local(hold(client, until, options.timeout, Rc::clone(&errors))))
        .collect();
    sleep_until(until).await;
    let after = options.server_pid.and_then(rss_kib);
    let mut alive = 0_usize;
    for holder in holders {
        match holder.await {
            Ok(true) => alive += 1,
            Ok(false) => {}
            Err(e) => errors.borrow_mut().record_message(format!("holder task: {e}")),
        }
    }
    report.set("connected", connected);
    report.set("alive", alive);
    report.set("hold_s", options.hold.as_secs_f64());
    report.set("rss_before_kib", before);
    report.set("rss_after_kib", after);
    match (before, after) {
        (Some(before), Some(after)) => report.set_f64("rate", per_connection(before, after, connected)),
        _ => report.set("rate", serde_json::Value::Null),
    }
    report.set("unit", "KiB/conn");
    if alive < options.clients {
        report.fail(format!(
            "{alive} of {} connections still served after the hold",
            options.clients
        ));
    }
    report.take_errors(&errors);
    report
}
