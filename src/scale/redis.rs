//! The Redis driver: one task publishes what the [`Outbound`] queue holds, one reads the channel.
//!
//! URLs as python-socketio takes them: `redis://`, `rediss://` (TLS, rustls), `unix://` (and `valkey://`,
//! `valkeys://`), and `redis+sentinel://[user:password@]host1:port1,host2:port2/db/service_name` (the master of
//! `service_name`, or of a service named like the channel when the path has none).
//!
//! Commands sent: `PUBLISH` (pipelined, in batches) on the publishing connection; `SUBSCRIBE` on the reading one.
//! Before those, only what the URL asks for: `AUTH` when it carries a password, `SELECT` when it names a database
//! other than 0 (and, for sentinel URLs, `SENTINEL get-master-addr-by-name` to the sentinels). No `CLIENT SETINFO`,
//! `HELLO` or `PING`: the protocol stays RESP2 and any server that speaks `PUBLISH`/`SUBSCRIBE` will do.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

use futures_util::{FutureExt, StreamExt};
use parking_lot::Mutex;
use redis::aio::MultiplexedConnection;
use redis::sentinel::{SentinelClient, SentinelNodeConnectionInfo, SentinelServerType};
use redis::{Client, ConnectionInfo, IntoConnectionInfo, RedisConnectionInfo};
use tokio::runtime::Runtime;
use tokio::task::JoinHandle;

use super::Inbound;
use super::outbound::Outbound;

/// First retry delay after a failure; doubled each time up to [`MAX_BACKOFF`].
const MIN_BACKOFF: Duration = Duration::from_secs(1);
/// Longest retry delay.
const MAX_BACKOFF: Duration = Duration::from_secs(60);
/// Messages sent in one pipeline.
const BATCH: usize = 256;
/// How long a pipeline of publishes may take before the connection is thought dead.
const PUBLISH_TIMEOUT: Duration = Duration::from_secs(10);

/// What a manager was configured with.
#[derive(Clone, Debug, Default)]
pub struct RedisConfig {
    /// The URL.
    pub url: String,
    /// The pub/sub channel.
    pub channel: String,
    /// `redis_options['username']`: overrides the URL's.
    pub username: Option<String>,
    /// `redis_options['password']`: overrides the URL's.
    pub password: Option<String>,
    /// `redis_options['db']`: overrides the URL's.
    pub db: Option<i64>,
    /// `redis_options['socket_connect_timeout']`: how long one connection attempt may take.
    pub connect_timeout: Option<Duration>,
}

/// Where to connect.
#[derive(Debug)]
enum Backend {
    Direct(ConnectionInfo),
    Sentinel {
        sentinels: Vec<String>,
        service: String,
        node: RedisConnectionInfo,
    },
}

fn settings(mut info: RedisConnectionInfo, config: &RedisConfig) -> RedisConnectionInfo {
    if let Some(user) = &config.username {
        info = info.set_username(user);
    }
    if let Some(password) = &config.password {
        info = info.set_password(password);
    }
    if let Some(db) = config.db {
        info = info.set_db(db);
    }
    info.set_skip_set_lib_name()
}

fn percent_decoded(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
        if let (b'%', Some(v)) = (b, hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            out.push(v);
            i += 3;
        } else {
            out.push(b);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// compat: python-socketio's `parse_redis_sentinel_url`.
fn sentinel_backend(rest: &str, config: &RedisConfig) -> Result<Backend, String> {
    let (netloc, path) = rest.split_once('/').unwrap_or((rest, ""));
    let (userinfo, hosts) = netloc.rsplit_once('@').unwrap_or(("", netloc));
    let mut node = RedisConnectionInfo::default();
    if !userinfo.is_empty() {
        let (user, password) = userinfo.split_once(':').unwrap_or((userinfo, ""));
        if !user.is_empty() {
            node = node.set_username(percent_decoded(user));
        }
        if !password.is_empty() {
            node = node.set_password(percent_decoded(password));
        }
    }
    let mut sentinels = Vec::new();
    for host_port in hosts.split(',') {
        let (host, port) = host_port
            .rsplit_once(':')
            .ok_or_else(|| format!("sentinel address {host_port:?} needs a port"))?;
        let port: u16 = port
            .parse()
            .map_err(|_| format!("bad sentinel port in {host_port:?}"))?;
        sentinels.push(format!("redis://{host}:{port}"));
    }
    let mut parts = path.split('/');
    if let Some(db) = parts.next().filter(|p| !p.is_empty()) {
        node = node.set_db(db.parse().map_err(|_| format!("bad database number {db:?}"))?);
    }
    let service = parts
        .next()
        .filter(|p| !p.is_empty())
        .map_or_else(|| config.channel.clone(), String::from);
    Ok(Backend::Sentinel {
        sentinels,
        service,
        node: settings(node, config),
    })
}

fn backend(config: &RedisConfig) -> Result<Backend, String> {
    let url = config.url.trim();
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| format!("not a Redis URL: {url:?}"))?;
    let scheme = scheme.to_ascii_lowercase();
    match scheme.as_str() {
        "redis+sentinel" | "valkey+sentinel" => sentinel_backend(rest, config),
        "redis" | "rediss" | "unix" | "valkey" | "valkeys" => {
            // compat: redis-py reads a URL without a host (`redis://`, `redis:///1`) as localhost:6379.
            let rest = if scheme != "unix" && (rest.is_empty() || rest.starts_with('/')) {
                format!("localhost:6379{rest}")
            } else {
                rest.to_owned()
            };
            let url = match scheme.as_str() {
                "valkey" => format!("redis://{rest}"),
                "valkeys" => format!("rediss://{rest}"),
                other => format!("{other}://{rest}"),
            };
            let info = url.as_str().into_connection_info().map_err(|e| e.to_string())?;
            let redis = settings(info.redis_settings().clone(), config);
            Ok(Backend::Direct(info.set_redis_settings(redis)))
        }
        other => Err(format!("Unsupported Redis URL scheme: {other}")),
    }
}

impl Backend {
    async fn client(&self) -> redis::RedisResult<Client> {
        match self {
            Self::Direct(info) => Client::open(info.clone()),
            Self::Sentinel {
                sentinels,
                service,
                node,
            } => {
                let node = SentinelNodeConnectionInfo::default().set_redis_connection_info(node.clone());
                let mut client = SentinelClient::build(
                    sentinels.clone(),
                    service.clone(),
                    Some(node),
                    SentinelServerType::Master,
                )?;
                client.async_get_client().await
            }
        }
    }
}

/// Exponential retry delays.
struct Backoff(Duration);

impl Backoff {
    fn new() -> Self {
        Self(MIN_BACKOFF)
    }

    fn reset(&mut self) {
        self.0 = MIN_BACKOFF;
    }

    async fn sleep(&mut self) {
        tokio::time::sleep(self.0).await;
        self.0 = (self.0 * 2).min(MAX_BACKOFF);
    }
}

/// A timeout as an error that reads well in a report.
fn timed_out(what: &str) -> redis::RedisError {
    redis::RedisError::from(std::io::Error::new(
        std::io::ErrorKind::TimedOut,
        format!("{what} timed out"),
    ))
}

/// The tasks of one manager and their queue.
pub struct RedisDriver {
    backend: Arc<Backend>,
    channel: Arc<str>,
    connect_timeout: Duration,
    /// What waits to be published.
    pub outbound: Arc<Outbound>,
    tasks: Mutex<Vec<JoinHandle<()>>>,
    /// The process whose runtime runs the tasks (a forked child must not touch them).
    created_by: u32,
}

impl RedisDriver {
    /// Check the URL and build the queue; nothing connects until a task starts.
    pub fn new(config: &RedisConfig, capacity: usize, inbound: Arc<dyn Inbound>) -> Result<Self, String> {
        Ok(Self {
            backend: Arc::new(backend(config)?),
            channel: Arc::from(config.channel.as_str()),
            connect_timeout: config.connect_timeout.unwrap_or(Duration::from_secs(5)),
            outbound: Outbound::new(capacity, inbound),
            tasks: Mutex::new(Vec::new()),
            created_by: std::process::id(),
        })
    }

    /// Start publishing what is queued.
    pub fn start_publisher(&self, runtime: &Runtime) {
        let (out, backend, channel, limit) = (
            self.outbound.clone(),
            self.backend.clone(),
            self.channel.clone(),
            self.connect_timeout,
        );
        let task = runtime.spawn(supervise(self.outbound.clone(), "publisher", move || {
            publish(out.clone(), backend.clone(), channel.clone(), limit)
        }));
        self.tasks.lock().push(task);
    }

    /// Start reading the channel; every message goes to `inbound`.
    pub fn start_subscriber(&self, runtime: &Runtime, inbound: Arc<dyn Inbound>) {
        let (out, backend, channel, limit) = (
            self.outbound.clone(),
            self.backend.clone(),
            self.channel.clone(),
            self.connect_timeout,
        );
        let task = runtime.spawn(supervise(self.outbound.clone(), "subscriber", move || {
            subscribe(out.clone(), backend.clone(), channel.clone(), limit, inbound.clone())
        }));
        self.tasks.lock().push(task);
    }

    /// Stop both tasks; what is still queued is dropped. In a forked child this does nothing: the tasks, and the
    /// runtime that would have to cancel them, live in the parent.
    pub fn close(&self) {
        if std::process::id() != self.created_by {
            return;
        }
        self.outbound.close();
        for task in self.tasks.lock().drain(..) {
            task.abort();
        }
    }
}

impl Drop for RedisDriver {
    fn drop(&mut self) {
        self.close();
    }
}

/// Run a driver loop, and run it again after a pause should it panic (a bug in a dependency must not end the fleet's
/// traffic for good, nor unwind into the runtime); it ends when the loop returns (the driver was closed).
async fn supervise<F, Fut>(out: Arc<Outbound>, name: &str, run: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = ()>,
{
    loop {
        if AssertUnwindSafe(run()).catch_unwind().await.is_ok() {
            return;
        }
        out.report_fault(&format!("pub/sub {name} task panicked; restarting it"));
        tokio::time::sleep(MIN_BACKOFF).await;
    }
}

async fn connect(backend: &Backend, limit: Duration) -> redis::RedisResult<MultiplexedConnection> {
    let attempt = async { backend.client().await?.get_multiplexed_async_connection().await };
    tokio::time::timeout(limit, attempt)
        .await
        .unwrap_or_else(|_| Err(timed_out("connecting")))
}

async fn publish(out: Arc<Outbound>, backend: Arc<Backend>, channel: Arc<str>, connect_timeout: Duration) {
    let mut backoff = Backoff::new();
    let mut connection: Option<MultiplexedConnection> = None;
    loop {
        if out.is_closed() {
            return;
        }
        let batch = out.peek(BATCH);
        if batch.is_empty() {
            // A push between `peek` and here leaves a permit, so this returns at once.
            out.ready.notified().await;
            continue;
        }
        let conn = match connection.as_mut() {
            Some(conn) => conn,
            None => match connect(&backend, connect_timeout).await {
                Ok(conn) => connection.insert(conn),
                Err(err) => {
                    out.went_down("connecting to publish", &err);
                    backoff.sleep().await;
                    continue;
                }
            },
        };
        let mut pipe = redis::pipe();
        for message in &batch {
            pipe.cmd("PUBLISH").arg(&*channel).arg(message.as_slice()).ignore();
        }
        let result = tokio::time::timeout(PUBLISH_TIMEOUT, pipe.query_async::<()>(conn))
            .await
            .unwrap_or_else(|_| Err(timed_out("publishing")));
        match result {
            Ok(()) => {
                out.sent(batch.len());
                out.came_back();
                backoff.reset();
            }
            Err(err) => {
                // The batch stays queued and is sent again on a new connection (at least once, in order).
                connection = None;
                out.went_down("publishing", &err);
                backoff.sleep().await;
            }
        }
    }
}

async fn subscribe(
    out: Arc<Outbound>,
    backend: Arc<Backend>,
    channel: Arc<str>,
    connect_timeout: Duration,
    inbound: Arc<dyn Inbound>,
) {
    let mut backoff = Backoff::new();
    loop {
        let attempt = async {
            let client = backend.client().await?;
            let mut pubsub = client.get_async_pubsub().await?;
            pubsub.subscribe(&*channel).await?;
            Ok::<_, redis::RedisError>(pubsub)
        };
        let subscribed = tokio::time::timeout(connect_timeout, attempt)
            .await
            .unwrap_or_else(|_| Err(timed_out("subscribing")));
        match subscribed {
            Ok(pubsub) => {
                out.came_back();
                backoff.reset();
                let mut messages = pubsub.into_on_message();
                while let Some(message) = messages.next().await {
                    inbound.deliver(message.get_payload_bytes().to_vec());
                }
                out.went_down("reading the channel", &"connection closed");
            }
            Err(err) => out.went_down("subscribing", &err),
        }
        backoff.sleep().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(url: &str) -> RedisConfig {
        RedisConfig {
            url: url.to_owned(),
            channel: "socketio".to_owned(),
            ..RedisConfig::default()
        }
    }

    #[test]
    fn urls_python_socketio_accepts_are_accepted() {
        for url in [
            "redis://localhost:6379/0",
            "redis://",
            "rediss://h:1/2",
            "unix:///tmp/x.sock",
            "valkey://h",
            "redis+sentinel://u:p@h1:1,h2:2/0/svc",
        ] {
            assert!(backend(&config(url)).is_ok(), "{url}");
        }
        assert!(
            backend(&config("http://x"))
                .unwrap_err()
                .contains("Unsupported Redis URL scheme")
        );
        assert!(backend(&config("redis+sentinel://h1/0")).is_err());
    }

    #[test]
    fn sentinel_urls_name_their_service_or_fall_back_to_the_channel() {
        let Ok(Backend::Sentinel {
            sentinels,
            service,
            node,
        }) = backend(&config("redis+sentinel://u:p%40ss@h1:1,h2:2/3/svc"))
        else {
            panic!("not a sentinel backend");
        };
        assert_eq!(sentinels, ["redis://h1:1", "redis://h2:2"]);
        assert_eq!(service, "svc");
        assert_eq!(
            (node.username(), node.password(), node.db()),
            (Some("u"), Some("p@ss"), 3)
        );
        assert!(node.skip_set_lib_name());
        let Ok(Backend::Sentinel { service, .. }) = backend(&config("redis+sentinel://h:1")) else {
            panic!("not a sentinel backend");
        };
        assert_eq!(service, "socketio");
    }
}
