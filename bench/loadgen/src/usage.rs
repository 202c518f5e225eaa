//! Resource readings: this process's CPU time (getrusage), and the server's CPU time and RSS from /proc, so a
//! report shows which side was saturated.

use std::time::{Duration, Instant};

use nix::sys::resource::{UsageWho, getrusage};
use nix::unistd::{SysconfVar, sysconf};

/// User + system CPU time of this process so far.
pub(crate) fn own_cpu_time() -> Duration {
    getrusage(UsageWho::RUSAGE_SELF).map_or(Duration::ZERO, |usage| {
        let to_duration = |tv: nix::sys::time::TimeVal| {
            let secs = u64::try_from(tv.tv_sec()).unwrap_or_default();
            let micros = u64::try_from(tv.tv_usec()).unwrap_or_default();
            Duration::from_secs(secs) + Duration::from_micros(micros)
        };
        to_duration(usage.user_time()) + to_duration(usage.system_time())
    })
}

/// User + system CPU time of process `pid` (all its threads) and of its live descendants (a server's worker
/// processes), from `/proc/<pid>/stat`.
pub(crate) fn process_cpu_time(pid: u32) -> Option<Duration> {
    let own = one_process_cpu_time(pid)?;
    Some(
        children(pid)
            .into_iter()
            .filter_map(process_cpu_time)
            .fold(own, |sum, child| sum + child),
    )
}

/// The children of process `pid`, from `/proc/<pid>/task/*/children`.
fn children(pid: u32) -> Vec<u32> {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return Vec::new();
    };
    tasks
        .filter_map(Result::ok)
        .filter_map(|task| std::fs::read_to_string(task.path().join("children")).ok())
        .flat_map(|list| {
            list.split_whitespace()
                .filter_map(|c| c.parse().ok())
                .collect::<Vec<u32>>()
        })
        .collect()
}

fn one_process_cpu_time(pid: u32) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces and parentheses; the fields we need follow the last ')'.
    let after_name = stat.get(stat.rfind(')')? + 1..)?;
    let mut fields = after_name.split_whitespace();
    // Fields 14 and 15 of stat(5) (utime, stime) are the 12th and 13th after the name.
    let utime: u64 = fields.nth(11)?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    let ticks_per_second = sysconf(SysconfVar::CLK_TCK)
        .ok()
        .flatten()
        .and_then(|t| u64::try_from(t).ok())?;
    Some(Duration::from_micros(
        (utime + stime) * 1_000_000 / ticks_per_second.max(1),
    ))
}

/// Resident set size of process `pid` and its live descendants in KiB (`VmRSS` in `/proc/<pid>/status`).
pub(crate) fn rss_kib(pid: u32) -> Option<u64> {
    let own = one_process_rss_kib(pid)?;
    Some(own + children(pid).into_iter().filter_map(rss_kib).sum::<u64>())
}

fn one_process_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|line| line.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// CPU use over one measured window.
#[derive(Debug, Clone, Copy)]
pub(crate) struct WindowUsage {
    pub(crate) wall: Duration,
    pub(crate) own_cpu: Duration,
    pub(crate) server_cpu: Option<Duration>,
}

impl WindowUsage {
    /// This process's CPU time as a percentage of one core over the window.
    pub(crate) fn own_cpu_percent(&self) -> f64 {
        percent(self.own_cpu, self.wall)
    }

    /// The server's CPU time as a percentage of one core over the window.
    pub(crate) fn server_cpu_percent(&self) -> Option<f64> {
        self.server_cpu.map(|cpu| percent(cpu, self.wall))
    }
}

fn percent(cpu: Duration, wall: Duration) -> f64 {
    if wall.is_zero() {
        0.0
    } else {
        100.0 * cpu.as_secs_f64() / wall.as_secs_f64()
    }
}

/// Started at the beginning of a measured window.
pub(crate) struct Meter {
    started: Instant,
    own_cpu: Duration,
    server_pid: Option<u32>,
    server_cpu: Option<Duration>,
}

impl Meter {
    pub(crate) fn start(server_pid: Option<u32>) -> Self {
        Self {
            started: Instant::now(),
            own_cpu: own_cpu_time(),
            server_pid,
            server_cpu: server_pid.and_then(process_cpu_time),
        }
    }

    pub(crate) fn stop(&self) -> WindowUsage {
        let server_cpu = match (self.server_pid.and_then(process_cpu_time), self.server_cpu) {
            (Some(now), Some(before)) => Some(now.saturating_sub(before)),
            _ => None,
        };
        WindowUsage {
            wall: self.started.elapsed(),
            own_cpu: own_cpu_time().saturating_sub(self.own_cpu),
            server_cpu,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_own_process() {
        let pid = std::process::id();
        assert!(rss_kib(pid).is_some_and(|kib| kib > 0));
        assert!(process_cpu_time(pid).is_some());
    }
}
