#!/usr/bin/env bash
# The test command: every crate's tests, including the end-to-end tests against a
# moto server that the tests start on 127.0.0.1 themselves. Without moto those
# tests print SKIPPED (and fail under CI=true); install it with
#   python3 -m pip install 'moto[server]' awscli
# Ends with one line adding up every test binary's results.
set -euo pipefail
cd "$(dirname "$0")/.."
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
cargo test --workspace --locked "$@" 2>&1 | tee "$log" || status=$?
awk '/^test result:/ { passed += $4; failed += $6; ignored += $8 }
     END { printf "summary: %d passed, %d failed, %d skipped\n", passed, failed, ignored }' "$log"
exit "$status"
