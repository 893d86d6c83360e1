#!/usr/bin/env bash
# `awslab up` + `awslab down` of the seed lab (plans/sts-assume-role.yaml) as whole
# processes on the embedded sandbox (the default target: in-process, SQLite state in a
# temporary --sandbox-dir) and against moto_server (IAM enforced), in one run,
# RUNS times each (default 7), interleaved; the seed runbook done by hand with the aws
# CLI (one process a command, as seeds 000-003 do it) against `awslab sandbox serve`,
# CLI_RUNS times (default 3; `cloudformation deploy` alone waits 5 s for its change
# set and 30 s for the stack, the CLI's waiter delays); then 30 copies of the lab at once on one sandbox folder
# (each with its own AWS CLI files, as 30 students would have).
# Every run must exit 0 (a failed run is never timed as a fast one).
# Prints each run in milliseconds and the medians.
# Usage: bench/sandbox_vs_moto.sh [AWSLAB_BINARY]   (default: target/release/awslab
# if built, else target/debug/awslab). Needs moto_server and aws on PATH.
# Everything lives in a temporary folder (never ~/.aws); moto is stopped at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -n "${1:-}" ]; then awslab=$1
elif [ -x target/release/awslab ]; then awslab=$PWD/target/release/awslab
else awslab=$PWD/target/debug/awslab; fi
runs=${RUNS:-7}
plan=$PWD/plans/sts-assume-role.yaml
w=$(mktemp -d)
moto= served=
cleanup() { # stops what this script started, by pid; never changes the exit status
  local pid
  for pid in $moto $served; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$w"
}
trap cleanup EXIT
export AWS_CONFIG_FILE=$w/config AWS_SHARED_CREDENTIALS_FILE=$w/credentials AWSLAB_STATE_DIR=$w/state
now() { date +%s%N; }
ms() { echo $(( ($2 - $1) / 1000000 )); }
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
run() { # label, then the command: exits the script if it fails
  local label=$1; shift
  if ! "$@" >"$w/out" 2>&1; then echo "$label failed:"; cat "$w/out"; exit 1; fi
}

# moto, with an admin operator (the first three calls are let through unauthenticated)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
INITIAL_NO_AUTH_ACTION_COUNT=3 moto_server -H 127.0.0.1 -p "$port" >"$w/moto.log" 2>&1 & moto=$!
for _ in $(seq 100); do # at most 20 s
  python3 -c "import urllib.request as u; u.urlopen('http://127.0.0.1:$port/moto-api/')" 2>/dev/null && break
  sleep 0.2
done
boot() { AWS_ACCESS_KEY_ID=b AWS_SECRET_ACCESS_KEY=b aws --region us-east-1 --endpoint-url "http://127.0.0.1:$port" "$@"; }
boot iam create-user --user-name admin >/dev/null
boot iam put-user-policy --user-name admin --policy-name admin --policy-document '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}'
read -r key secret < <(boot iam create-access-key --user-name admin --query 'AccessKey.[AccessKeyId,SecretAccessKey]' --output text)
motoenv=(env AWS_ACCESS_KEY_ID="$key" AWS_SECRET_ACCESS_KEY="$secret" AWS_REGION=us-east-1)

# one untimed warm-up a side (a fresh moto's first stack takes about a second)
run "sandbox warm-up up" "$awslab" up "$plan" --sandbox-dir "$w/sandbox" --run-id s0
run "sandbox warm-up down" "$awslab" down s0 --sandbox-dir "$w/sandbox"
run "moto warm-up up" "${motoenv[@]}" "$awslab" up "$plan" --endpoint-url "http://127.0.0.1:$port" --run-id m0
run "moto warm-up down" "${motoenv[@]}" "$awslab" down m0

sandbox=() sandbox_up=() moto_runs=() moto_up=()
for i in $(seq 1 "$runs"); do
  t0=$(now); run "sandbox up $i" "$awslab" up "$plan" --sandbox-dir "$w/sandbox" --run-id "s$i"
  t1=$(now); run "sandbox down $i" "$awslab" down "s$i" --sandbox-dir "$w/sandbox"
  t2=$(now); sandbox+=("$(ms "$t0" "$t2")"); sandbox_up+=("$(ms "$t0" "$t1")")
  t0=$(now); run "moto up $i" "${motoenv[@]}" "$awslab" up "$plan" --endpoint-url "http://127.0.0.1:$port" --run-id "m$i"
  t1=$(now); run "moto down $i" "${motoenv[@]}" "$awslab" down "m$i"
  t2=$(now); moto_runs+=("$(ms "$t0" "$t2")"); moto_up+=("$(ms "$t0" "$t1")")
done
# The seed runbook with the aws CLI against `awslab sandbox serve` (its own folder).
"$awslab" sandbox serve --port 0 --state-dir "$w/served" >"$w/serve.out" 2>"$w/serve.err" & served=$!
for _ in $(seq 200); do grep -q 'listening on' "$w/serve.out" 2>/dev/null && break; sleep 0.05; done
grep -q 'listening on' "$w/serve.out" || { echo "awslab sandbox serve did not start:"; cat "$w/serve.err"; exit 1; }
endpoint=$(sed -n 's/^awslab sandbox listening on //p' "$w/serve.out" | head -1)
eval "$("$awslab" sandbox env --state-dir "$w/served" --port "${endpoint##*:}" | grep -E '^export AWS_(ACCESS_KEY_ID|SECRET_ACCESS_KEY)=')"
cli() { aws --region us-east-1 --endpoint-url "$endpoint" --output text "$@"; }
as_profile() { AWS_ACCESS_KEY_ID= AWS_SECRET_ACCESS_KEY= cli "$@"; } # the --profile's keys, not the operator's
runbook() ( # one whole seed lab by hand, in a subshell; every expected answer is checked
  local id=$1 user=cli-user-$1 bucket=cli-lab-$1 stack=cli-lab-$1 creds=$w/cli-credentials-$1
  local key secret arn role akid asecret token
  export AWS_SHARED_CREDENTIALS_FILE=$creds AWS_CONFIG_FILE=$w/cli-config-$1
  : >"$creds"
  cli iam create-user --user-name "$user" >/dev/null
  read -r key secret < <(cli iam create-access-key --user-name "$user" --query 'AccessKey.[AccessKeyId,SecretAccessKey]')
  printf '[sts]\naws_access_key_id = %s\naws_secret_access_key = %s\n' "$key" "$secret" >>"$creds"
  arn=$(as_profile sts get-caller-identity --profile sts --query Arn)
  [ "$arn" = "arn:aws:iam::111122223333:user/$user" ] || { echo "runbook: whoami gave $arn"; return 1; }
  if as_profile s3 ls --profile sts >/dev/null 2>&1; then echo "runbook: the user listed buckets"; return 1; fi
  cli cloudformation deploy --template-file plans/templates/role-and-bucket.yaml --stack-name "$stack" \
    --parameter-overrides "UserArn=$arn" "BucketName=$bucket" --capabilities CAPABILITY_IAM >/dev/null
  role=$(cli cloudformation describe-stacks --stack-name "$stack" --query "Stacks[0].Outputs[?OutputKey=='RoleArn'].OutputValue")
  cli iam put-user-policy --user-name "$user" --policy-name StsAssumePolicy --policy-document \
    "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"sts:AssumeRole\",\"Resource\":\"$role\"}]}"
  read -r akid asecret token < <(as_profile sts assume-role --profile sts \
    --role-arn "$role" --role-session-name s3-sts-lab --query 'Credentials.[AccessKeyId,SecretAccessKey,SessionToken]')
  printf '[assumed]\naws_access_key_id = %s\naws_secret_access_key = %s\naws_session_token = %s\n' "$akid" "$asecret" "$token" >>"$creds"
  arn=$(as_profile sts get-caller-identity --profile assumed --query Arn)
  case $arn in arn:aws:sts::111122223333:assumed-role/*/s3-sts-lab) ;; *) echo "runbook: assumed whoami gave $arn"; return 1;; esac
  as_profile s3 ls "s3://$bucket" --profile assumed >/dev/null
  if as_profile s3 ls "s3://$bucket" --profile sts >/dev/null 2>&1; then echo "runbook: the user listed the bucket"; return 1; fi
  # As the seeds clean up: delete-stack, not waited for (the CLI's waiter would sleep 30 s).
  cli cloudformation delete-stack --stack-name "$stack"
  cli iam delete-user-policy --user-name "$user" --policy-name StsAssumePolicy
  cli iam delete-access-key --user-name "$user" --access-key-id "$key"
  cli iam delete-user --user-name "$user"
)
cli_runs=()
for i in $(seq 1 "${CLI_RUNS:-3}"); do
  t0=$(now); run "aws CLI runbook $i" runbook "$i"; t1=$(now); cli_runs+=("$(ms "$t0" "$t1")")
done
kill "$served"; wait "$served" 2>/dev/null || true; served=

echo "binary: $awslab"
echo "aws CLI runbook on sandbox serve ms: ${cli_runs[*]} (median $(median "${cli_runs[@]}"))"
echo "sandbox up+down ms: ${sandbox[*]} (median $(median "${sandbox[@]}"); up alone median $(median "${sandbox_up[@]}"))"
echo "moto up+down ms: ${moto_runs[*]} (median $(median "${moto_runs[@]}"); up alone median $(median "${moto_up[@]}"))"

# 30 copies at once on one new sandbox folder
t0=$(now)
copies=()
for i in $(seq 1 30); do
  ( export AWS_CONFIG_FILE=$w/c$i AWS_SHARED_CREDENTIALS_FILE=$w/k$i
    "$awslab" up "$plan" --sandbox-dir "$w/class" --run-id "c$i" >"$w/c$i.out" 2>&1 \
      && "$awslab" down "c$i" --sandbox-dir "$w/class" >>"$w/c$i.out" 2>&1 \
      || { echo "copy $i failed:"; cat "$w/c$i.out"; touch "$w/failed-$i"; } ) &
  copies+=($!)
done
# The copies only: a bare `wait` would also wait for moto_server, which runs until exit.
wait "${copies[@]}"
t1=$(now)
echo "30 copies at once (60 processes, one sandbox folder) ms: $(ms "$t0" "$t1")"
failed=$(find "$w" -maxdepth 1 -name 'failed-*' | wc -l)
if [ "$failed" -ne 0 ]; then echo "$failed of 30 copies failed"; exit 1; fi
