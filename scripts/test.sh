#!/usr/bin/env bash
# The test command: every crate's tests, including the end-to-end tests against a
# moto server that the tests start on 127.0.0.1 themselves. Without moto those
# tests print SKIPPED (and fail under CI=true); install it with
#   python3 -m pip install 'moto[server]' awscli
set -euo pipefail
cd "$(dirname "$0")/.."
exec cargo test --workspace --locked "$@"
