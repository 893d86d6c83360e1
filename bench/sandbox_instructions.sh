#!/usr/bin/env bash
# Instructions per signed in-process IAM call (GetUser as the operator, memory store),
# counted by valgrind's callgrind, which counts the same on a loaded machine as on an
# idle one. Three kinds of call, each run with N=200 and N=1200 calls; the difference
# divided by 1000 is one call without the set-up:
#   full     the whole call through the Rust SDK and the in-process client;
#   sandbox  Sandbox::handle alone, on a request the SDK signed, replayed;
#   sdk      the SDK alone: sign, send to a connector that answers at once, parse.
# MODES="full loopback" picks others; loopback is the whole call over loopback to
# `sandbox serve` in the same process (every thread's instructions counted).
# Usage: bench/sandbox_instructions.sh [BENCH_BINARY]
# (default: the newest target/release/deps/sandbox-* that `cargo bench -p
# awslab-sandbox --bench sandbox --no-run` built). Needs valgrind.
# With CALLGRIND_OUT=DIR it keeps the N=1200 profiles there for callgrind_annotate.
set -euo pipefail
cd "$(dirname "$0")/.."
binary=${1:-$(ls -t target/release/deps/sandbox-* | grep -v '\.d$' | head -1)}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
count() { # mode calls -> total instructions
  BENCH_MODE=$1 BENCH_CALLS=$2 valgrind --tool=callgrind --callgrind-out-file="$work/$1-$2.out" \
    "$binary" >/dev/null 2>"$work/$1-$2.log"
  grep -m1 '^summary:\|^totals:' "$work/$1-$2.out" | awk '{print $2}'
}
echo "binary: $binary"
for mode in ${MODES:-full sandbox sdk}; do
  low=$(count "$mode" 200)
  high=$(count "$mode" 1200)
  echo "$mode: $(( (high - low) / 1000 )) instructions a call"
  if [ -n "${CALLGRIND_OUT:-}" ]; then mkdir -p "$CALLGRIND_OUT"; cp "$work/$mode-1200.out" "$CALLGRIND_OUT/"; fi
done
