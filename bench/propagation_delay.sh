#!/usr/bin/env bash
# The seed lab (plans/sts-assume-role.yaml), `awslab up` + `awslab down` as whole
# processes on the embedded sandbox, alternately without a delay (the baseline) and
# with `--propagation-delay ${DELAY:-5s}`, 5 times each, in one run; prints the
# milliseconds of each run and how many retries (settle waits) each delayed run made.
# Usage: bench/propagation_delay.sh [AWSLAB_BINARY]. Everything lives in a temporary
# folder (never ~/.aws).
set -euo pipefail
cd "$(dirname "$0")/.."
awslab=${1:-$PWD/target/debug/awslab}
plan=$PWD/plans/sts-assume-role.yaml
delay=${DELAY:-5s}
w=$(mktemp -d)
trap 'rm -rf $w' EXIT
export AWS_CONFIG_FILE=$w/config AWS_SHARED_CREDENTIALS_FILE=$w/credentials AWSLAB_STATE_DIR=$w/state AWSLAB_SANDBOX_DIR=$w/sandbox
ms() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }
plain=() delayed=() retries=()
for i in 1 2 3 4 5; do
  t=$(date +%s%N); $awslab up $plan --run-id p$i >/dev/null 2>&1; $awslab down p$i >/dev/null 2>&1; plain+=($(ms $t))
  t=$(date +%s%N)
  $awslab up $plan --run-id d$i --propagation-delay $delay --output json >$w/d$i.json 2>/dev/null
  $awslab down d$i >/dev/null 2>&1; delayed+=($(ms $t))
  retries+=($(grep -c '"event":"retrying"' $w/d$i.json || true))
done
echo "no delay, up+down ms: ${plain[*]}"
echo "--propagation-delay $delay, up+down ms: ${delayed[*]}"
echo "retries reported by the delayed runs: ${retries[*]}"
