//! Latency samples in microseconds. Runs are bounded in count, so every sample is kept and sorted once.

use std::time::Duration;

/// Samples from one client or merged from all.
#[derive(Debug, Default)]
pub(crate) struct Latencies {
    samples_us: Vec<u32>,
}

/// Percentiles of a finished run, in microseconds.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Summary {
    pub(crate) count: usize,
    pub(crate) p50_us: u32,
    pub(crate) p99_us: u32,
    pub(crate) max_us: u32,
}

impl Latencies {
    pub(crate) fn record(&mut self, latency: Duration) {
        self.samples_us
            .push(u32::try_from(latency.as_micros()).unwrap_or(u32::MAX));
    }

    pub(crate) fn record_us(&mut self, micros: u64) {
        self.samples_us.push(u32::try_from(micros).unwrap_or(u32::MAX));
    }

    pub(crate) fn merge(&mut self, other: Latencies) {
        self.samples_us.extend(other.samples_us);
    }

    pub(crate) fn summary(mut self) -> Summary {
        if self.samples_us.is_empty() {
            return Summary::default();
        }
        self.samples_us.sort_unstable();
        // Nearest-rank percentile: the smallest sample with at least that share of samples at or below it.
        let at = |quantile_per_mille: usize| {
            let rank = (self.samples_us.len() * quantile_per_mille).div_ceil(1000);
            self.samples_us.get(rank.saturating_sub(1)).copied().unwrap_or_default()
        };
        Summary {
            count: self.samples_us.len(),
            p50_us: at(500),
            p99_us: at(990),
            max_us: self.samples_us.last().copied().unwrap_or_default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_of_one_to_hundred() {
        let mut latencies = Latencies::default();
        for micros in (1..=100).rev() {
            latencies.record_us(micros);
        }
        let summary = latencies.summary();
        assert_eq!(
            (summary.count, summary.p50_us, summary.p99_us, summary.max_us),
            (100, 50, 99, 100)
        );
    }

    #[test]
    fn empty_is_zero() {
        let summary = Latencies::default().summary();
        assert_eq!((summary.count, summary.p50_us), (0, 0));
    }
}
