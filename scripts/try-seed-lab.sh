#!/usr/bin/env bash
# Runs the seed lab (plans/sts-assume-role.yaml) end to end on this machine, with no
# AWS account: starts moto on 127.0.0.1 with IAM enforced, makes an admin operator, then
#   awslab up   -> creates the user, the stack, the policy, assumes the role,
#                  writes the `assumed` profile and verifies every claim of the lab
#   aws sts get-caller-identity --profile assumed   (the real aws CLI)
#   awslab down -> deletes everything the run created
# Your ~/.aws is never touched: everything lives in a temporary folder, removed at
# the end, also when interrupted (Ctrl-C) or when a step fails. Until awslab's embedded
# sandbox is the default, moto is the offline target.
#
# Environment: MOTO_WAIT (seconds to wait for moto to answer, default 30).
set -euo pipefail
cd "$(dirname "$0")/.."

work=""
moto=""
cleanup() {
  if [ -n "$moto" ]; then
    kill "$moto" 2>/dev/null || true
    wait "$moto" 2>/dev/null || true
  fi
  if [ -n "$work" ]; then rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'echo "interrupted; moto stopped and the temporary folder removed" >&2; exit 130' INT TERM HUP

if ! python3 -c "import moto.server, flask_cors" 2>/dev/null || ! command -v aws >/dev/null; then
  echo "== installing moto[server] and awscli with pip" >&2
  python3 -m pip install --quiet --disable-pip-version-check 'moto[server]' awscli
fi

# Cargo prints one line a crate it compiles: the first build takes a few minutes on
# two cores. The build is the same one `scripts/test.sh` reuses.
echo "== building awslab (cargo build -p awslab-cli; the first build takes a few minutes)" >&2
cargo build --locked -p awslab-cli
awslab="$PWD/target/debug/awslab"

work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
endpoint="http://127.0.0.1:$port"
echo "== starting moto on $endpoint (IAM enforced after 3 setup calls)" >&2
INITIAL_NO_AUTH_ACTION_COUNT=3 MOTO_IAM_LOAD_MANAGED_POLICIES=true \
  moto_server -H 127.0.0.1 -p "$port" >"$work/moto.log" 2>&1 &
moto=$!

# Wait for moto to answer, at most MOTO_WAIT seconds, and say why when it does not.
wait_for=${MOTO_WAIT:-30}
deadline=$((SECONDS + wait_for))
until python3 -c "import urllib.request as u; u.urlopen('$endpoint/moto-api/', timeout=2)" 2>/dev/null; do
  if ! kill -0 "$moto" 2>/dev/null; then
    echo "error: moto_server exited before answering; its log:" >&2
    tail -n 20 "$work/moto.log" >&2
    exit 1
  fi
  if [ "$SECONDS" -ge "$deadline" ]; then
    echo "error: moto did not answer on $endpoint within ${wait_for}s (set MOTO_WAIT to wait longer); its log:" >&2
    tail -n 20 "$work/moto.log" >&2
    exit 1
  fi
  sleep 0.2
done

export AWS_CONFIG_FILE="$work/config" AWS_SHARED_CREDENTIALS_FILE="$work/credentials"
export AWSLAB_STATE_DIR="$work/state"
unset AWS_PROFILE AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_ENDPOINT_URL
# The 3 calls moto lets through unauthenticated make the admin operator.
boot() { AWS_ACCESS_KEY_ID=bootstrap AWS_SECRET_ACCESS_KEY=bootstrap aws --region us-east-1 --endpoint-url "$endpoint" "$@"; }
boot iam create-user --user-name admin >/dev/null
boot iam put-user-policy --user-name admin --policy-name admin \
  --policy-document '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}'
read -r key secret < <(boot iam create-access-key --user-name admin --query 'AccessKey.[AccessKeyId,SecretAccessKey]' --output text)
printf '[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n' "$key" "$secret" >"$AWS_SHARED_CREDENTIALS_FILE"
chmod 600 "$AWS_SHARED_CREDENTIALS_FILE"
printf '[default]\nregion = us-east-1\n' >"$AWS_CONFIG_FILE"

echo "== awslab up (against moto at $endpoint)"
"$awslab" up plans/sts-assume-role.yaml --endpoint-url "$endpoint" --run-id seed-lab
echo
echo "== aws sts get-caller-identity --profile assumed"
aws sts get-caller-identity --profile assumed
echo
echo "== awslab down"
"$awslab" down seed-lab
