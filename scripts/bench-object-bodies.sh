#!/usr/bin/env bash
# Issue 18, object bodies: what a world holding large objects costs the processes
# that share it. On one new sandbox folder: `up` + `down` of the seed lab
# (plans/sts-assume-role.yaml) and `sandbox status` on the empty world; then
# `awslab sandbox serve` on that folder and OBJECTS (default 9) PutObjects of 60 MB
# each through it with the aws CLI (`s3api put-object`, one request each); then
# `sandbox status` and the seed lab's `up` + `down` again, and serve's resident memory
# (VmRSS, and its peak VmHWM) after the puts and after one object is downloaded and
# compared; then more objects up to WORLD_OBJECTS (default 17: 1.02 GB in all) and the
# seed lab's `up` once more. Each process is timed by /usr/bin/time -v (wall time,
# peak RSS). Every command must exit 0.
# Usage: scripts/bench-object-bodies.sh AWSLAB_BINARY [OBJECTS]
# Everything lives in a temporary folder (never ~/.aws); serve is stopped at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
awslab=${1:?usage: scripts/bench-object-bodies.sh AWSLAB_BINARY [OBJECTS]}
objects=${2:-9}
world_objects=${WORLD_OBJECTS:-17}
plan=$PWD/plans/sts-assume-role.yaml
w=$(mktemp -d)
served=
cleanup() { # stops what this script started, by pid
  if [ -n "$served" ]; then kill "$served" 2>/dev/null || true; fi
  rm -rf "$w"
}
trap cleanup EXIT
export AWS_CONFIG_FILE=$w/config AWS_SHARED_CREDENTIALS_FILE=$w/credentials
export AWSLAB_STATE_DIR=$w/state AWSLAB_SANDBOX_DIR=$w/sandbox
: >"$AWS_CONFIG_FILE"; : >"$AWS_SHARED_CREDENTIALS_FILE"
state=$AWSLAB_SANDBOX_DIR
measure() { # label, then the command: prints its wall time and peak RSS
  local label=$1; shift
  if ! /usr/bin/time -v "$@" >"$w/out" 2>"$w/time"; then
    echo "$label failed:"; cat "$w/out" "$w/time"; exit 1
  fi
  local wall rss
  wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$w/time")
  rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$w/time")
  printf '%-44s %9s  %6d MB peak RSS\n' "$label" "$wall" $((rss / 1024))
}
memory() { # label: serve's resident memory now, and its peak
  printf '%-44s VmRSS %6d MB, VmHWM %6d MB\n' "$1" \
    $(( $(awk '/^VmRSS:/ {print $2}' "/proc/$served/status") / 1024 )) \
    $(( $(awk '/^VmHWM:/ {print $2}' "/proc/$served/status") / 1024 ))
}
echo "binary: $awslab"
measure "up, empty world" "$awslab" up "$plan" --sandbox-dir "$state" --run-id empty
measure "down, empty world" "$awslab" down empty --sandbox-dir "$state"
measure "sandbox status, empty world" "$awslab" sandbox status --state-dir "$state"

"$awslab" sandbox serve --port 0 --state-dir "$state" >"$w/serve.out" 2>"$w/serve.err" & served=$!
for _ in $(seq 200); do grep -q 'listening on' "$w/serve.out" 2>/dev/null && break; sleep 0.05; done
grep -q 'listening on' "$w/serve.out" || { echo "serve did not start:"; cat "$w/serve.err"; exit 1; }
endpoint=$(sed -n 's/^awslab sandbox listening on //p' "$w/serve.out" | head -1)
# The operator's keys go to the aws CLI alone: with them in its environment, `up`
# would take the real AWS for its target.
keys=$("$awslab" sandbox env --state-dir "$state" --port "${endpoint##*:}" | sed -n "s/^export AWS_\(ACCESS_KEY_ID\|SECRET_ACCESS_KEY\)='\(.*\)'$/\2/p" | tr '\n' ' ')
read -r key secret <<<"$keys"
cli() { AWS_ACCESS_KEY_ID=$key AWS_SECRET_ACCESS_KEY=$secret aws --region us-east-1 --endpoint-url "$endpoint" --output text "$@"; }
memory "serve, started"
head -c 60000000 /dev/urandom >"$w/body"
cli s3 mb s3://bodies >/dev/null
put() { # from to: PutObjects of the 60 MB body
  local i
  for i in $(seq "$1" "$2"); do cli s3api put-object --bucket bodies --key "object-$i" --body "$w/body" >/dev/null; done
}
measure "$objects PutObjects of 60 MB through serve" bash -c "$(declare -f cli put); endpoint=$endpoint w=$w key=$key secret=$secret; put 1 $objects"
memory "serve, after the puts"
measure "sandbox status, $objects objects" "$awslab" sandbox status --state-dir "$state"
measure "up, $objects objects" "$awslab" up "$plan" --sandbox-dir "$state" --run-id full
measure "down, $objects objects" "$awslab" down full --sandbox-dir "$state"
measure "GetObject of 60 MB through serve" env AWS_ACCESS_KEY_ID="$key" AWS_SECRET_ACCESS_KEY="$secret" \
  aws --region us-east-1 --endpoint-url "$endpoint" s3api get-object --bucket bodies --key object-1 "$w/back"
cmp -s "$w/body" "$w/back" || { echo "the object read back differs"; exit 1; }
memory "serve, after a GetObject"
if [ "$world_objects" -gt "$objects" ]; then
  put $((objects + 1)) "$world_objects"
  measure "up, $world_objects objects ($((world_objects * 60)) MB)" "$awslab" up "$plan" --sandbox-dir "$state" --run-id world
  measure "down, $world_objects objects" "$awslab" down world --sandbox-dir "$state"
  measure "sandbox status, $world_objects objects" "$awslab" sandbox status --state-dir "$state"
  memory "serve, after the rest"
fi
du -sh "$state" | sed 's/^/state folder: /'
