//! Fuzz the engine with random interleavings of client packets, polls, upgrades, closes, application calls and
//! timer ticks (`_core::engine::interleave`): libFuzzer's input decides every step, and the driver panics when an
//! invariant breaks (no panic, bounded queues, every ended session gone everywhere, nothing left at the end).
#![no_main]

use _core::engine::interleave::{Choices, Harness};
use libfuzzer_sys::arbitrary::Unstructured;
use libfuzzer_sys::fuzz_target;

/// libFuzzer's bytes as the driver's decisions.
struct Input<'a>(Unstructured<'a>);

impl Choices for Input<'_> {
    fn below(&mut self, n: usize) -> usize {
        self.0.choose_index(n).unwrap_or(0)
    }

    fn bytes(&mut self, max: usize) -> Vec<u8> {
        let len = self.below(max + 1);
        self.0.bytes(len).map(<[u8]>::to_vec).unwrap_or_default()
    }

    fn is_exhausted(&self) -> bool {
        self.0.is_empty()
    }
}

fuzz_target!(|data: &[u8]| {
    Harness::run(&mut Input(Unstructured::new(data)), 2_000);
});
