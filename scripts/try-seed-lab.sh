#!/usr/bin/env bash
# Runs the seed lab (plans/sts-assume-role.yaml) end to end on this machine with no
# AWS account, no network and no Python: on awslab's embedded sandbox.
#   awslab up   -> in-process on the sandbox: creates the user, the CloudFormation
#                  stack (bucket and role), the policy, assumes the role, writes the
#                  `assumed` profile and verifies every claim of the lab
#   awslab sandbox serve (127.0.0.1, in the background) shows the same world to the
#                  real aws CLI, which then asks who the `assumed` profile is
#                  (skipped, with a note, when the aws CLI is not installed)
#   awslab down -> deletes everything the run created
# Your ~/.aws is never touched: the state, the sandbox's world and the AWS CLI files
# live in a temporary folder, removed at the end, also when interrupted (Ctrl-C) or
# when a step fails.
#
# Environment: SANDBOX_WAIT (seconds to wait for `awslab sandbox serve`, default 10).
set -euo pipefail
cd "$(dirname "$0")/.."

work=""
serve=""
cleanup() {
  if [ -n "$serve" ]; then
    kill "$serve" 2>/dev/null || true
    wait "$serve" 2>/dev/null || true
  fi
  if [ -n "$work" ]; then rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'echo "interrupted; the sandbox server stopped and the temporary folder removed" >&2; exit 130' INT TERM HUP

# Cargo prints one line a crate it compiles: the first build takes a few minutes on
# two cores. The build is the same one `scripts/test.sh` reuses.
echo "== building awslab (cargo build -p awslab-cli; the first build takes a few minutes)" >&2
cargo build --locked -p awslab-cli
awslab="$PWD/target/debug/awslab"

work=$(mktemp -d)
export AWS_CONFIG_FILE="$work/config" AWS_SHARED_CREDENTIALS_FILE="$work/credentials"
export AWSLAB_STATE_DIR="$work/state" AWSLAB_SANDBOX_DIR="$work/sandbox"
unset AWS_PROFILE AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_ENDPOINT_URL

# The server for the aws CLI, on a free port; at most SANDBOX_WAIT seconds to start.
"$awslab" sandbox serve --port 0 >"$work/serve.log" 2>&1 &
serve=$!
wait_for=${SANDBOX_WAIT:-10}
deadline=$((SECONDS + wait_for))
port=""
until port=$(sed -n 's|^awslab sandbox listening on http://127.0.0.1:\([0-9]*\)$|\1|p' "$work/serve.log") && [ -n "$port" ]; do
  if ! kill -0 "$serve" 2>/dev/null; then
    echo "error: awslab sandbox serve exited before listening; its output:" >&2
    cat "$work/serve.log" >&2
    exit 1
  fi
  if [ "$SECONDS" -ge "$deadline" ]; then
    echo "error: awslab sandbox serve did not listen within ${wait_for}s (set SANDBOX_WAIT to wait longer); its output:" >&2
    cat "$work/serve.log" >&2
    exit 1
  fi
  sleep 0.1
done
# Profiles the run writes point the aws CLI at this server.
export AWSLAB_SANDBOX_PORT="$port"

echo "== awslab up plans/sts-assume-role.yaml (on the embedded sandbox, in this process)"
"$awslab" up plans/sts-assume-role.yaml --run-id seed-lab
echo
if command -v aws >/dev/null; then
  echo "== aws sts get-caller-identity --profile assumed   (the real aws CLI, through awslab sandbox serve on port $port)"
  aws sts get-caller-identity --profile assumed
else
  echo "== (the aws CLI is not installed: skipping 'aws sts get-caller-identity --profile assumed')"
fi
echo
echo "== awslab down"
"$awslab" down seed-lab
