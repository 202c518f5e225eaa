//! The reconnection schedule, computed as python-socketio computes it.
//!
//! compat: the delay starts at `reconnection_delay` and doubles after each attempt, capped at
//! `reconnection_delay_max`; then `randomization_factor * (2r - 1)` seconds are added (an absolute jitter, as
//! python-socketio does, not a proportional one). `reconnection_attempts` of 0 means no limit.

use std::time::Duration;

/// The delays of one run of reconnection attempts.
#[derive(Clone, Debug, PartialEq)]
pub struct Schedule {
    max: f64,
    factor: f64,
    attempts: u32,
    current: f64,
    made: u32,
}

impl Schedule {
    /// A fresh run with python-socketio's options (seconds).
    pub fn new(delay: f64, delay_max: f64, randomization_factor: f64, attempts: u32) -> Schedule {
        Schedule {
            max: finite_or_zero(delay_max),
            factor: finite_or_zero(randomization_factor),
            attempts,
            current: finite_or_zero(delay),
            made: 0,
        }
    }

    /// The wait before the next attempt, given `random` in `[0, 1)`; `None` once the attempts are used up.
    pub fn next_delay(&mut self, random: f64) -> Option<Duration> {
        if self.attempts > 0 && self.made >= self.attempts {
            return None;
        }
        self.made += 1;
        let delay = self.current.min(self.max);
        self.current *= 2.0;
        let jittered = delay + self.factor * (2.0 * random.clamp(0.0, 1.0) - 1.0);
        Some(Duration::try_from_secs_f64(jittered.max(0.0)).unwrap_or(Duration::MAX))
    }

    /// How many attempts were scheduled so far.
    pub fn attempts_made(&self) -> u32 {
        self.made
    }
}

fn finite_or_zero(value: f64) -> f64 {
    if value.is_finite() && value > 0.0 { value } else { 0.0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_up_to_the_cap_with_absolute_jitter() {
        let mut schedule = Schedule::new(1.0, 5.0, 0.5, 0);
        let delays: Vec<Duration> = (0..5).map(|_| schedule.next_delay(0.5).unwrap()).collect();
        let seconds = [1, 2, 4, 5, 5].map(Duration::from_secs);
        assert_eq!(delays, seconds);
        let mut schedule = Schedule::new(1.0, 5.0, 0.5, 0);
        assert_eq!(schedule.next_delay(0.0).unwrap(), Duration::from_millis(500));
        assert_eq!(schedule.next_delay(1.0).unwrap(), Duration::from_millis(2500));
    }

    #[test]
    fn stops_after_the_allowed_attempts_and_never_goes_negative() {
        let mut schedule = Schedule::new(0.1, 5.0, 0.5, 2);
        assert_eq!(schedule.next_delay(0.0), Some(Duration::ZERO));
        assert!(schedule.next_delay(0.0).is_some());
        assert_eq!(schedule.next_delay(0.0), None);
        assert_eq!(schedule.attempts_made(), 2);
    }
}
