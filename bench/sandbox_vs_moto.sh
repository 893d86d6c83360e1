#!/usr/bin/env bash
# `awslab up` + `awslab down` of the seed lab (plans/sts-assume-role.yaml) as whole
# processes on the embedded sandbox (the default target: in-process, SQLite state in a
# temporary --sandbox-dir) and against moto_server (IAM enforced), in one run,
# RUNS times each (default 7), interleaved; then 30 copies of the lab at once on one
# sandbox folder (each with its own AWS CLI files, as 30 students would have).
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
moto=
trap '[ -n "$moto" ] && kill $moto 2>/dev/null; rm -rf "$w"' EXIT
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
until python3 -c "import urllib.request as u; u.urlopen('http://127.0.0.1:$port/moto-api/')" 2>/dev/null; do sleep 0.2; done
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
echo "binary: $awslab"
echo "sandbox up+down ms: ${sandbox[*]} (median $(median "${sandbox[@]}"); up alone median $(median "${sandbox_up[@]}"))"
echo "moto up+down ms: ${moto_runs[*]} (median $(median "${moto_runs[@]}"); up alone median $(median "${moto_up[@]}"))"

# 30 copies at once on one new sandbox folder
t0=$(now)
for i in $(seq 1 30); do
  ( export AWS_CONFIG_FILE=$w/c$i AWS_SHARED_CREDENTIALS_FILE=$w/k$i
    "$awslab" up "$plan" --sandbox-dir "$w/class" --run-id "c$i" >"$w/c$i.out" 2>&1 \
      && "$awslab" down "c$i" --sandbox-dir "$w/class" >>"$w/c$i.out" 2>&1 \
      || { echo "copy $i failed:"; cat "$w/c$i.out"; touch "$w/failed-$i"; } ) &
done
wait
t1=$(now)
echo "30 copies at once (60 processes, one sandbox folder) ms: $(ms "$t0" "$t1")"
failed=$(find "$w" -maxdepth 1 -name 'failed-*' | wc -l)
if [ "$failed" -ne 0 ]; then echo "$failed of 30 copies failed"; exit 1; fi
