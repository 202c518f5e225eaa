//! A fixed-bucket histogram of durations, counted with relaxed atomics (no lock, safe from any thread).

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

/// Upper bounds of the buckets, in nanoseconds (Prometheus' `le`, without `+Inf`): 50 µs to 10 s, about three
/// per decade, which covers a handler that only answers as well as one that waits on a database.
pub const BOUNDS_NS: [u64; 17] = [
    50_000,
    100_000,
    250_000,
    500_000,
    1_000_000,
    2_500_000,
    5_000_000,
    10_000_000,
    25_000_000,
    50_000_000,
    100_000_000,
    250_000_000,
    500_000_000,
    1_000_000_000,
    2_500_000_000,
    5_000_000_000,
    10_000_000_000,
];

const BUCKETS: usize = BOUNDS_NS.len() + 1;

/// Counts per bucket (not cumulative; the last is `+Inf`), the sum and the count.
pub struct Histogram {
    buckets: [AtomicU64; BUCKETS],
    sum_ns: AtomicU64,
    count: AtomicU64,
}

impl Default for Histogram {
    fn default() -> Self {
        Self {
            buckets: std::array::from_fn(|_| AtomicU64::new(0)),
            sum_ns: AtomicU64::new(0),
            count: AtomicU64::new(0),
        }
    }
}

fn bucket_of(ns: u64) -> usize {
    BOUNDS_NS.partition_point(|&bound| bound < ns)
}

impl Histogram {
    /// Record one duration.
    pub fn observe(&self, ns: u64) {
        self.buckets[bucket_of(ns)].fetch_add(1, Relaxed);
        self.sum_ns.fetch_add(ns, Relaxed);
        self.count.fetch_add(1, Relaxed);
    }

    /// Record a batch: each bucket, the sum and the count are touched once per batch, not once per value.
    pub fn observe_all(&self, nanos: impl IntoIterator<Item = u64>) {
        let mut local = [0u64; BUCKETS];
        let (mut sum, mut count) = (0u64, 0u64);
        for ns in nanos {
            local[bucket_of(ns)] += 1;
            sum = sum.saturating_add(ns);
            count += 1;
        }
        if count == 0 {
            return;
        }
        for (bucket, n) in self.buckets.iter().zip(local) {
            if n > 0 {
                bucket.fetch_add(n, Relaxed);
            }
        }
        self.sum_ns.fetch_add(sum, Relaxed);
        self.count.fetch_add(count, Relaxed);
    }

    /// The values now.
    pub fn snapshot(&self) -> HistogramSnapshot {
        let buckets: [u64; BUCKETS] = std::array::from_fn(|i| self.buckets[i].load(Relaxed));
        // The count is the buckets' total, so `+Inf` always equals `_count` even while others observe.
        HistogramSnapshot {
            count: buckets.iter().sum(),
            buckets,
            sum_ns: self.sum_ns.load(Relaxed),
        }
    }
}

/// A histogram's values at one moment.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HistogramSnapshot {
    buckets: [u64; BUCKETS],
    /// Sum of the values, in nanoseconds.
    pub sum_ns: u64,
    /// Number of values.
    pub count: u64,
}

impl HistogramSnapshot {
    /// (upper bound in seconds or `None` for `+Inf`, cumulative count), in order.
    pub fn cumulative(&self) -> impl Iterator<Item = (Option<f64>, u64)> + '_ {
        let mut total = 0;
        self.buckets.iter().enumerate().map(move |(i, n)| {
            total += n;
            (
                BOUNDS_NS.get(i).map(|&ns| Duration::from_nanos(ns).as_secs_f64()),
                total,
            )
        })
    }

    /// The sum in seconds.
    pub fn sum_seconds(&self) -> f64 {
        Duration::from_nanos(self.sum_ns).as_secs_f64()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_land_in_the_first_bucket_whose_bound_is_not_below_them() {
        let h = Histogram::default();
        h.observe(50_000); // on the bound: le="5e-05"
        h.observe(50_001);
        h.observe(20_000_000_000); // past every bound: only +Inf
        let s = h.snapshot();
        let cumulative: Vec<_> = s.cumulative().collect();
        assert_eq!(cumulative[0], (Some(0.00005), 1));
        assert_eq!(cumulative[1], (Some(0.0001), 2));
        assert_eq!(cumulative[BOUNDS_NS.len() - 1], (Some(10.0), 2));
        assert_eq!(cumulative[BOUNDS_NS.len()], (None, 3));
        assert_eq!(s.count, 3);
        assert_eq!(s.sum_ns, 50_000 + 50_001 + 20_000_000_000);
    }

    #[test]
    fn a_batch_counts_like_single_observations() {
        let (one, batch) = (Histogram::default(), Histogram::default());
        let values = [1, 70_000, 3_000_000, 3_000_000, 9_000_000_000, u64::MAX / 4];
        for v in values {
            one.observe(v);
        }
        batch.observe_all(values);
        assert_eq!(one.snapshot(), batch.snapshot());
        batch.observe_all([]);
        assert_eq!(one.snapshot(), batch.snapshot());
    }
}
