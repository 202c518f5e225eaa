//! Command line: `loadgen SCENARIO [--option VALUE | --check]...`. Every scenario is bounded in time and in
//! count, and only loopback addresses are accepted.

use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

pub(crate) const USAGE: &str = "\
usage: loadgen echo|broadcast|storm|idle|polling|churn [options]

  --addr HOST:PORT     server address, loopback only (default 127.0.0.1:5000)
  --label NAME         name of the server in the report (default: the address)
  --clients N          connections (storm: connects in total) (default per scenario)
  --duration S         measured seconds (echo, broadcast, polling, churn) (default 10)
  --warmup S           seconds run before measuring (default 1)
  --max N              stop after N acks / broadcasts (default 10000000)
  --pad BYTES          size of the echo padding string (default 64)
  --window N           broadcast: emits in flight before waiting for delivery (default 4)
  --rate R             broadcast: emits per second instead of the closed loop (default 0 = closed loop)
  --trigger-addr H:P   broadcast: where the trigger connects, another node of a fleet (default --addr)
  --concurrency N      connects in progress at once (default 64)
  --hold S             idle: seconds to hold the connections; churn: to settle after (default 5)
  --server-pid PID     read the server's CPU time and RSS from /proc/PID
  --timeout S          give up on one awaited answer after S seconds (default 10)
  --check              exit 1 when a correctness check fails
  --msgpack            WebSocket scenarios speak socket.io-msgpack-parser's format (serializer='msgpack')
";

/// Longest measured part of a run; the broadcast trigger doesn't read, so it must finish well before the
/// server's ping timeout (25 s + 20 s by default) could close it.
const MAX_DURATION: Duration = Duration::from_secs(40);
/// churn keeps no connection open for long, so it may run longer.
const MAX_CHURN_DURATION: Duration = Duration::from_secs(300);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scenario {
    Echo,
    Broadcast,
    Storm,
    Idle,
    Polling,
    Churn,
}

impl Scenario {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Echo => "echo",
            Self::Broadcast => "broadcast",
            Self::Storm => "storm",
            Self::Idle => "idle",
            Self::Polling => "polling",
            Self::Churn => "churn",
        }
    }

    fn default_clients(self) -> usize {
        match self {
            Self::Echo => 100,
            Self::Broadcast => 200,
            Self::Storm => 2000,
            Self::Idle => 1000,
            Self::Polling => 20,
            Self::Churn => 300,
        }
    }
}

/// Everything a scenario needs to know.
#[derive(Debug, Clone)]
pub(crate) struct Options {
    pub(crate) scenario: Scenario,
    pub(crate) addr: SocketAddr,
    /// broadcast: the server the trigger connects to (another node of a fleet); `addr` when `None`.
    pub(crate) trigger_addr: Option<SocketAddr>,
    pub(crate) label: String,
    pub(crate) clients: usize,
    pub(crate) duration: Duration,
    pub(crate) warmup: Duration,
    pub(crate) max_ops: u64,
    pub(crate) pad: usize,
    pub(crate) window: u64,
    pub(crate) rate: f64,
    pub(crate) concurrency: usize,
    pub(crate) hold: Duration,
    pub(crate) server_pid: Option<u32>,
    pub(crate) timeout: Duration,
    pub(crate) check: bool,
    /// WebSocket scenarios speak `socket.io-msgpack-parser`'s format.
    pub(crate) msgpack: bool,
}

/// A command line we can't run.
#[derive(Debug)]
pub(crate) struct UsageError(String);

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn number<T: std::str::FromStr>(option: &str, value: &str) -> Result<T, UsageError> {
    value
        .parse()
        .map_err(|_| UsageError(format!("{option}: not a number: {value:?}")))
}

fn seconds(option: &str, value: &str) -> Result<Duration, UsageError> {
    let secs: f64 = number(option, value)?;
    Duration::try_from_secs_f64(secs).map_err(|_| UsageError(format!("{option}: not a duration: {value:?}")))
}

impl Options {
    pub(crate) fn parse(args: impl IntoIterator<Item = String>) -> Result<Self, UsageError> {
        let mut args = args.into_iter();
        let scenario = match args.next().as_deref() {
            Some("echo") => Scenario::Echo,
            Some("broadcast") => Scenario::Broadcast,
            Some("storm") => Scenario::Storm,
            Some("idle") => Scenario::Idle,
            Some("polling") => Scenario::Polling,
            Some("churn") => Scenario::Churn,
            Some(other) => return Err(UsageError(format!("unknown scenario {other:?}"))),
            None => return Err(UsageError("missing scenario".to_owned())),
        };
        let mut options = Self {
            scenario,
            addr: SocketAddr::from(([127, 0, 0, 1], 5000)),
            trigger_addr: None,
            label: String::new(),
            clients: scenario.default_clients(),
            duration: Duration::from_secs(10),
            warmup: Duration::from_secs(1),
            max_ops: 10_000_000,
            pad: 64,
            window: 4,
            rate: 0.0,
            concurrency: 64,
            hold: Duration::from_secs(5),
            server_pid: None,
            timeout: Duration::from_secs(10),
            check: false,
            msgpack: false,
        };
        while let Some(option) = args.next() {
            if option == "--check" {
                options.check = true;
                continue;
            }
            if option == "--msgpack" {
                options.msgpack = true;
                continue;
            }
            let value = args
                .next()
                .ok_or_else(|| UsageError(format!("{option} needs a value")))?;
            match option.as_str() {
                "--addr" => options.addr = number(&option, &value)?,
                "--trigger-addr" => options.trigger_addr = Some(number(&option, &value)?),
                "--label" => options.label = value,
                "--clients" => options.clients = number(&option, &value)?,
                "--duration" => options.duration = seconds(&option, &value)?,
                "--warmup" => options.warmup = seconds(&option, &value)?,
                "--max" => options.max_ops = number(&option, &value)?,
                "--pad" => options.pad = number(&option, &value)?,
                "--window" => options.window = number(&option, &value)?,
                "--rate" => options.rate = number(&option, &value)?,
                "--concurrency" => options.concurrency = number(&option, &value)?,
                "--hold" => options.hold = seconds(&option, &value)?,
                "--server-pid" => options.server_pid = Some(number(&option, &value)?),
                "--timeout" => options.timeout = seconds(&option, &value)?,
                _ => return Err(UsageError(format!("unknown option {option:?}"))),
            }
        }
        options.validate()?;
        if options.label.is_empty() {
            options.label = options.addr.to_string();
        }
        Ok(options)
    }

    fn validate(&self) -> Result<(), UsageError> {
        // The workplace rule: load goes to this machine only.
        if !self.addr.ip().is_loopback() {
            return Err(UsageError(format!("--addr {} is not a loopback address", self.addr)));
        }
        if let Some(trigger) = self.trigger_addr
            && !trigger.ip().is_loopback()
        {
            return Err(UsageError(format!(
                "--trigger-addr {trigger} is not a loopback address"
            )));
        }
        if self.clients == 0 || self.concurrency == 0 || self.window == 0 {
            return Err(UsageError(
                "--clients, --concurrency and --window must be positive".to_owned(),
            ));
        }
        let cap = if self.scenario == Scenario::Churn {
            MAX_CHURN_DURATION
        } else {
            MAX_DURATION
        };
        if self.duration + self.warmup > cap || self.hold > MAX_DURATION {
            return Err(UsageError(format!(
                "{} runs are capped at {} s",
                self.scenario.name(),
                cap.as_secs()
            )));
        }
        if !(self.rate >= 0.0 && self.rate.is_finite()) {
            return Err(UsageError("--rate must be a non-negative number".to_owned()));
        }
        Ok(())
    }

    /// The longest a whole run may take, setup and drain included; past it the run reports a failure.
    pub(crate) fn hard_limit(&self) -> Duration {
        self.warmup + self.duration + self.hold + self.timeout * 3 + Duration::from_secs(60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> Result<Options, UsageError> {
        Options::parse(line.split_whitespace().map(str::to_owned))
    }

    #[test]
    fn defaults_per_scenario() {
        let options = parse("storm --addr 127.0.0.1:9000").unwrap();
        assert_eq!(
            (options.scenario, options.clients, options.label.as_str()),
            (Scenario::Storm, 2000, "127.0.0.1:9000")
        );
        assert!(!options.check);
    }

    #[test]
    fn refuses_non_loopback() {
        assert!(parse("echo --addr 10.0.0.1:80").is_err());
        assert!(parse("echo --addr 127.0.0.2:80 --check").unwrap().check);
        assert!(parse("broadcast --trigger-addr 10.0.0.1:80").is_err());
        let fleet = parse("broadcast --trigger-addr 127.0.0.1:81").unwrap();
        assert_eq!(fleet.trigger_addr, Some(SocketAddr::from(([127, 0, 0, 1], 81))));
    }

    #[test]
    fn refuses_unbounded_runs() {
        assert!(parse("echo --duration 600").is_err());
        assert!(parse("echo --duration 120").is_err());
        assert!(parse("churn --duration 120").is_ok());
        assert!(parse("churn --duration 600").is_err());
        assert!(parse("echo --clients 0").is_err());
        assert!(parse("bogus").is_err());
    }
}
