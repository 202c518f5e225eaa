#!/usr/bin/env bash
# Build every cargo-fuzz target in fuzz/ and run each for a bounded time (FUZZ_SECONDS, 10 by default). Stops at
# the first crash, panic or broken assertion and prints the input that caused it (libFuzzer writes it under
# fuzz/artifacts/<target>/; `cargo fuzz run <target> <file>` replays it).
#
# Why stable Rust with RUSTC_BOOTSTRAP=1: cargo-fuzz passes nightly-only flags to rustc (-Z sanitizer=..., the
# sancov passes). A nightly toolchain cannot be installed where this project is built and tested: rustup downloads
# toolchains from static.rust-lang.org, and these machines reach only crates.io, PyPI, Debian and npm. Setting
# RUSTC_BOOTSTRAP=1 lets the stable compiler accept those flags; libFuzzer comes from the libfuzzer-sys crate
# (crates.io) and the address sanitizer's runtime ships with the stable toolchain, so the targets are built with
# the same instrumentation (checked with rustc 1.95: build, ASan and runs all work). FUZZ_SANITIZER=none turns the
# sanitizer off (faster, for longer local runs); FUZZ_TARGET_DIR builds elsewhere than fuzz/target.
#
# The corpus each run grows stays in fuzz/corpus/<target>/ (not in git); fuzz/seeds/<target>/, when present, holds
# committed inputs that every run starts from: the specs' examples, and inputs that once found a bug.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${FUZZ_SECONDS:-10}"
sanitizer="${FUZZ_SANITIZER:-address}"
export RUSTC_BOOTSTRAP=1

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "fuzz: cargo-fuzz is missing; scripts/setup.sh installs it (cargo install cargo-fuzz --locked)" >&2
    exit 1
fi

build=(--sanitizer "$sanitizer")
if [ -n "${FUZZ_TARGET_DIR:-}" ]; then
    build+=(--target-dir "$FUZZ_TARGET_DIR")
fi

# One build for all targets (debug assertions and overflow checks on, optimised), so the runs below start at once.
cargo fuzz build "${build[@]}"

for target in $(cargo fuzz list); do
    corpus="fuzz/corpus/$target"
    artifacts="fuzz/artifacts/$target"
    log="fuzz/artifacts/$target.log"
    mkdir -p "$corpus" "$artifacts"
    dirs=("$corpus")
    if [ -d "fuzz/seeds/$target" ]; then
        dirs+=("fuzz/seeds/$target")
    fi
    started=$(mktemp)
    echo "fuzz: $target for ${seconds}s"
    if ! cargo fuzz run "${build[@]}" "$target" "${dirs[@]}" -- \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 >"$log" 2>&1; then
        tail -n 40 "$log" >&2
        crash=$(find "$artifacts" -type f -newer "$started" -printf '%T@ %p\n' | sort -n | tail -n 1 | cut -d' ' -f2-)
        echo "fuzz: $target FAILED; the input that broke it: ${crash:-none written, see the log above}" >&2
        echo "fuzz: replay with RUSTC_BOOTSTRAP=1 cargo fuzz run ${build[*]} $target ${crash:-<input>}" >&2
        exit 1
    fi
    rm -f "$started"
    grep -E '^Done |^stat::number_of_executed_units' "$log" | tr '\n' ' '
    echo
done
echo "fuzz: every target ran ${seconds}s without a finding"
