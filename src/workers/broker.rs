//! The built-in message broker of a multi-worker server: just enough of the Redis protocol (RESP2) for pub/sub
//! between the workers on one host, on a unix socket, so that broadcasts and rooms span workers without a Redis
//! server. The workers reach it with the ordinary Redis client manager (`unix:///path`), as they would reach
//! Redis.
//!
//! Commands: `SUBSCRIBE`, `UNSUBSCRIBE`, `PUBLISH`, `PING`, plus `QUIT`, and `OK` for the connection set-up some
//! clients send (`CLIENT SETNAME`/`SETINFO`, `SELECT 0`); anything else gets a RESP error and the connection
//! stays open. Bounds: a command is at most `MAX_ARGS` arguments of at most `MAX_BULK` bytes each; a subscriber
//! whose queue of undelivered messages is full (`QUEUE` frames or `QUEUE_BYTES`) is disconnected (its client reconnects and says so) rather than
//! allowed to grow memory or to silently miss messages.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use bytes::{Bytes, BytesMut};
use parking_lot::Mutex;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::{Notify, mpsc, watch};

/// The most arguments one command may carry.
const MAX_ARGS: usize = 1024;
/// The largest argument (a published message) accepted: 64 MiB.
const MAX_BULK: usize = 64 * 1024 * 1024;
/// Frames (replies and messages) waiting for one connection before it counts as too slow.
const QUEUE: usize = 65_536;
/// Bytes of messages waiting for one subscriber before it counts as too slow.
const QUEUE_BYTES: usize = 64 * 1024 * 1024;

/// One connection's way out: replies and messages in order, and a way to cut it off.
struct Peer {
    /// Frames to write, each with whether it is a published message (counted in `queued_bytes`).
    frames: mpsc::Sender<(Bytes, bool)>,
    /// Bytes of messages queued and not yet written.
    queued_bytes: AtomicUsize,
    cut: Notify,
}

impl Peer {
    /// Queue a published message, or cut the subscriber off when it is too far behind; whether it was queued.
    fn deliver(&self, id: u64, frame: &Bytes) -> bool {
        let behind = self.queued_bytes.fetch_add(frame.len(), Ordering::AcqRel) + frame.len();
        let queued = behind <= QUEUE_BYTES && self.frames.try_send((frame.clone(), true)).is_ok();
        if !queued {
            self.queued_bytes.fetch_sub(frame.len(), Ordering::AcqRel);
            if !self.frames.is_closed() {
                log::warn!(target: "turbosio", "broker: subscriber {id} is too far behind; disconnecting it");
                self.cut.notify_one();
            }
        }
        queued
    }
}

#[derive(Default)]
struct Channels {
    /// Subscribers by channel name, each with its connection id.
    by_name: HashMap<Bytes, Vec<(u64, Arc<Peer>)>>,
}

impl Channels {
    fn subscribe(&mut self, channel: Bytes, id: u64, peer: &Arc<Peer>) {
        let subscribers = self.by_name.entry(channel).or_default();
        if !subscribers.iter().any(|(other, _)| *other == id) {
            subscribers.push((id, peer.clone()));
        }
    }

    fn unsubscribe(&mut self, channel: &[u8], id: u64) {
        if let Some(subscribers) = self.by_name.get_mut(channel) {
            subscribers.retain(|(other, _)| *other != id);
            if subscribers.is_empty() {
                self.by_name.remove(channel);
            }
        }
    }

    /// Queue `frame` for every subscriber of `channel`; returns how many got it. One too far behind is cut off
    /// (and counted as not reached).
    fn publish(&self, channel: &[u8], frame: &Bytes) -> usize {
        let Some(subscribers) = self.by_name.get(channel) else {
            return 0;
        };
        subscribers.iter().filter(|(id, peer)| peer.deliver(*id, frame)).count()
    }
}

/// A running broker; [`Broker::stop`] (or dropping it) stops accepting and ends every connection.
pub struct Broker {
    path: PathBuf,
    stop: watch::Sender<bool>,
}

impl Broker {
    /// Listen on the unix socket `path` (which must not exist) and serve on the current runtime.
    pub fn start(path: &Path) -> std::io::Result<Self> {
        let listener = UnixListener::bind(path)?;
        let (stop, stopped) = watch::channel(false);
        let channels = Arc::new(Mutex::new(Channels::default()));
        tokio::spawn(accept(listener, channels, stopped));
        Ok(Self {
            path: path.to_owned(),
            stop,
        })
    }

    /// Stop: close the listening socket and every connection, and remove the socket file.
    pub fn stop(&self) {
        if !self.stop.send_replace(true) {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        self.stop();
    }
}

async fn accept(listener: UnixListener, channels: Arc<Mutex<Channels>>, mut stopped: watch::Receiver<bool>) {
    let next_id = AtomicU64::new(1);
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(err) => {
                    log::warn!(target: "turbosio", "broker: accept failed: {err}; retrying in 100 ms");
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                    continue;
                }
            },
            _ = stopped.changed() => return,
        };
        let id = next_id.fetch_add(1, Ordering::Relaxed);
        tokio::spawn(connection(stream, id, channels.clone(), stopped.clone()));
    }
}

/// One client connection: commands in, replies and messages out (through its queue, so they keep their order).
async fn connection(stream: UnixStream, id: u64, channels: Arc<Mutex<Channels>>, mut stopped: watch::Receiver<bool>) {
    let (mut reader, mut writer) = stream.into_split();
    let (frames, mut queued) = mpsc::channel::<(Bytes, bool)>(QUEUE);
    let peer = Arc::new(Peer {
        frames,
        queued_bytes: AtomicUsize::new(0),
        cut: Notify::new(),
    });
    let written = peer.clone();
    let mut write = tokio::spawn(async move {
        while let Some((frame, counted)) = queued.recv().await {
            if writer.write_all(&frame).await.is_err() {
                return;
            }
            if counted {
                written.queued_bytes.fetch_sub(frame.len(), Ordering::AcqRel);
            }
        }
    });
    let mut session = Session {
        id,
        peer: peer.clone(),
        channels: channels.clone(),
        subscribed: Vec::new(),
    };
    let read = async {
        let mut buf = BytesMut::with_capacity(4096);
        loop {
            loop {
                match parse_command(&mut buf) {
                    Ok(Some(args)) => {
                        if !session.run(args).await {
                            return;
                        }
                    }
                    Ok(None) => break,
                    Err(fault) => {
                        let _ = session.reply(error(&format!("ERR Protocol error: {fault}"))).await;
                        return;
                    }
                }
            }
            match reader.read_buf(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    };
    tokio::select! {
        () = read => {}
        () = peer.cut.notified() => {}
        _ = stopped.changed() => {}
    }
    session.leave();
    drop(session);
    drop(peer);
    // The writer ends once every sender is gone: what was queued (the last replies) is still written, within a
    // second; a subscriber that was cut off for being slow would not read it anyway.
    if tokio::time::timeout(std::time::Duration::from_secs(1), &mut write)
        .await
        .is_err()
    {
        write.abort();
    }
}

struct Session {
    id: u64,
    peer: Arc<Peer>,
    channels: Arc<Mutex<Channels>>,
    subscribed: Vec<Bytes>,
}

impl Session {
    async fn reply(&self, frame: Bytes) -> bool {
        self.peer.frames.send((frame, false)).await.is_ok()
    }

    /// Run one command; false ends the connection.
    async fn run(&mut self, args: Vec<Bytes>) -> bool {
        let Some(name) = args.first() else { return true };
        let name = name.to_ascii_uppercase();
        let rest = args.get(1..).unwrap_or_default();
        match name.as_slice() {
            b"SUBSCRIBE" if !rest.is_empty() => {
                for channel in rest {
                    if !self.subscribed.contains(channel) {
                        self.subscribed.push(channel.clone());
                        self.channels.lock().subscribe(channel.clone(), self.id, &self.peer);
                    }
                    let count = self.subscribed.len();
                    if !self
                        .reply(array(&[bulk(b"subscribe"), bulk(channel), integer(count)]))
                        .await
                    {
                        return false;
                    }
                }
                true
            }
            b"UNSUBSCRIBE" => {
                let channels: Vec<Bytes> = if rest.is_empty() {
                    self.subscribed.clone()
                } else {
                    rest.to_vec()
                };
                if channels.is_empty() {
                    return self
                        .reply(array(&[bulk(b"unsubscribe"), NULL_BULK.clone(), integer(0)]))
                        .await;
                }
                for channel in channels {
                    self.subscribed.retain(|c| *c != channel);
                    self.channels.lock().unsubscribe(&channel, self.id);
                    let count = self.subscribed.len();
                    if !self
                        .reply(array(&[bulk(b"unsubscribe"), bulk(&channel), integer(count)]))
                        .await
                    {
                        return false;
                    }
                }
                true
            }
            b"PUBLISH" if rest.len() == 2 => {
                let (channel, message) = (&rest[0], &rest[1]);
                let frame = array(&[bulk(b"message"), bulk(channel), bulk(message)]);
                let reached = self.channels.lock().publish(channel, &frame);
                self.reply(integer(reached)).await
            }
            b"PING" if rest.len() <= 1 => {
                // spec (RESP2): a subscribed connection answers PING with a "pong" push, others with +PONG.
                let frame = match (self.subscribed.is_empty(), rest.first()) {
                    (true, None) => Bytes::from_static(b"+PONG\r\n"),
                    (true, Some(text)) => bulk(text),
                    (false, text) => array(&[bulk(b"pong"), bulk(text.map_or(&b""[..], |t| &t[..]))]),
                };
                self.reply(frame).await
            }
            b"QUIT" => {
                let _ = self.reply(Bytes::from_static(b"+OK\r\n")).await;
                false
            }
            b"CLIENT" | b"SELECT" => self.reply(Bytes::from_static(b"+OK\r\n")).await,
            // RESP2 only: a client that asks for RESP3 falls back, as it does with Redis before 6.
            b"HELLO" => self.reply(error("NOPROTO unsupported protocol version")).await,
            _ => {
                let text = format!(
                    "ERR unknown command or wrong number of arguments for '{}'",
                    String::from_utf8_lossy(&name)
                );
                self.reply(error(&text)).await
            }
        }
    }

    fn leave(&mut self) {
        let mut channels = self.channels.lock();
        for channel in self.subscribed.drain(..) {
            channels.unsubscribe(&channel, self.id);
        }
    }
}

static NULL_BULK: Bytes = Bytes::from_static(b"$-1\r\n");

fn bulk(data: &[u8]) -> Bytes {
    let mut out = Vec::with_capacity(data.len() + 16);
    out.push(b'$');
    out.extend_from_slice(itoa::Buffer::new().format(data.len()).as_bytes());
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(data);
    out.extend_from_slice(b"\r\n");
    out.into()
}

fn integer(n: usize) -> Bytes {
    Bytes::from(format!(":{n}\r\n"))
}

fn error(text: &str) -> Bytes {
    Bytes::from(format!("-{}\r\n", text.replace(['\r', '\n'], " ")))
}

fn array(items: &[Bytes]) -> Bytes {
    let mut out = Vec::with_capacity(items.iter().map(Bytes::len).sum::<usize>() + 16);
    out.push(b'*');
    out.extend_from_slice(itoa::Buffer::new().format(items.len()).as_bytes());
    out.extend_from_slice(b"\r\n");
    for item in items {
        out.extend_from_slice(item);
    }
    out.into()
}

/// Why a client's bytes are not a command.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
enum Fault {
    #[error("expected '*' or an inline command")]
    NotAnArray,
    #[error("expected '$'")]
    NotABulk,
    #[error("invalid length")]
    BadLength,
    #[error("too many arguments")]
    TooManyArgs,
    #[error("argument too large")]
    TooLarge,
    #[error("line too long")]
    LineTooLong,
}

/// The longest line (a length header, or an inline command) accepted before its CRLF.
const MAX_LINE: usize = 64 * 1024;

/// Take one whole command off the front of `buf`: `Ok(None)` until all of it has arrived (nothing is consumed
/// then). Commands are RESP arrays of bulk strings, or inline (space-separated words on one line, as `redis-cli`
/// and `telnet` send).
fn parse_command(buf: &mut BytesMut) -> Result<Option<Vec<Bytes>>, Fault> {
    let Some(&first) = buf.first() else { return Ok(None) };
    if first != b'*' {
        let Some(end) = find_crlf(buf, 0)? else { return Ok(None) };
        if first == b'$' || first == b':' || first == b'+' || first == b'-' {
            return Err(Fault::NotAnArray);
        }
        let line = buf.split_to(end + 2).freeze();
        let words = line
            .get(..end)
            .unwrap_or_default()
            .split(|b| *b == b' ')
            .filter(|w| !w.is_empty())
            .map(|w| line.slice_ref(w))
            .collect();
        return Ok(Some(words));
    }
    let Some(end) = find_crlf(buf, 0)? else { return Ok(None) };
    let count = number(buf.get(1..end).unwrap_or_default())?;
    if count > MAX_ARGS {
        return Err(Fault::TooManyArgs);
    }
    // First check that the whole command is here, then take it.
    let mut at = end + 2;
    let mut spans = Vec::with_capacity(count);
    for _ in 0..count {
        match buf.get(at) {
            None => return Ok(None),
            Some(b'$') => {}
            Some(_) => return Err(Fault::NotABulk),
        }
        let Some(line_end) = find_crlf(buf, at)? else {
            return Ok(None);
        };
        let len = number(buf.get(at + 1..line_end).unwrap_or_default())?;
        if len > MAX_BULK {
            return Err(Fault::TooLarge);
        }
        let start = line_end + 2;
        if buf.len() < start + len + 2 {
            return Ok(None);
        }
        spans.push((start, len));
        at = start + len + 2;
    }
    let command = buf.split_to(at).freeze();
    Ok(Some(
        spans
            .into_iter()
            .map(|(start, len)| command.slice(start..start + len))
            .collect(),
    ))
}

/// Where the CRLF that ends the line starting at `from` is; `None` until it has arrived.
fn find_crlf(buf: &BytesMut, from: usize) -> Result<Option<usize>, Fault> {
    let rest = buf.get(from..).unwrap_or_default();
    match rest.windows(2).position(|w| w == b"\r\n") {
        Some(at) => Ok(Some(from + at)),
        None if rest.len() > MAX_LINE => Err(Fault::LineTooLong),
        None => Ok(None),
    }
}

fn number(digits: &[u8]) -> Result<usize, Fault> {
    if digits.is_empty() || digits.len() > 12 || !digits.iter().all(u8::is_ascii_digit) {
        return Err(Fault::BadLength);
    }
    Ok(digits.iter().fold(0, |n, d| n * 10 + usize::from(d - b'0')))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(bytes: &[u8]) -> Result<Option<Vec<Bytes>>, Fault> {
        parse_command(&mut BytesMut::from(bytes))
    }

    #[test]
    fn parses_arrays_of_bulk_strings_and_waits_for_the_rest() {
        let whole = b"*3\r\n$7\r\nPUBLISH\r\n$2\r\nch\r\n$5\r\nhe\r\nl\r\n";
        assert_eq!(
            parse(whole),
            Ok(Some(vec![
                Bytes::from("PUBLISH"),
                Bytes::from("ch"),
                Bytes::from("he\r\nl")
            ]))
        );
        for cut in 0..whole.len() {
            assert_eq!(parse(&whole[..cut]), Ok(None), "cut at {cut}");
        }
        let mut two = BytesMut::from(&b"*1\r\n$4\r\nPING\r\n*1\r\n$4\r\nPING\r\n"[..]);
        assert!(parse_command(&mut two).unwrap().is_some());
        assert!(parse_command(&mut two).unwrap().is_some());
        assert!(two.is_empty());
    }

    #[test]
    fn parses_inline_commands() {
        assert_eq!(
            parse(b"SUBSCRIBE  a b\r\n"),
            Ok(Some(vec![Bytes::from("SUBSCRIBE"), Bytes::from("a"), Bytes::from("b")]))
        );
    }

    #[test]
    fn refuses_hostile_input() {
        assert_eq!(parse(b"*x\r\n"), Err(Fault::BadLength));
        assert_eq!(parse(b"*99999\r\n"), Err(Fault::TooManyArgs));
        assert_eq!(parse(b"*1\r\n:4\r\n"), Err(Fault::NotABulk));
        assert_eq!(parse(b"*1\r\n$999999999999\r\n"), Err(Fault::TooLarge));
        assert_eq!(parse(b"*1\r\n$-1\r\n"), Err(Fault::BadLength));
        assert_eq!(parse(&vec![b'a'; MAX_LINE + 10]), Err(Fault::LineTooLong));
    }

    #[test]
    fn frames_replies_in_resp2() {
        assert_eq!(&bulk(b"hi")[..], b"$2\r\nhi\r\n");
        assert_eq!(&array(&[bulk(b"a"), integer(1)])[..], b"*2\r\n$1\r\na\r\n:1\r\n");
        assert_eq!(&error("ERR x\r\ny")[..], b"-ERR x  y\r\n");
    }
}
