#!/usr/bin/env bash
# `awslab up` + `awslab down` of the seed lab (plans/sts-assume-role.yaml) as whole
# processes, 7 times each, on the embedded sandbox (the default target, in-process)
# and against moto_server (IAM enforced), in one run; then 30 copies of the lab at once
# on one sandbox folder (each with its own AWS CLI files, as 30 students would have).
# Prints the milliseconds of each run. Usage: bench/sandbox_vs_moto.sh [AWSLAB_BINARY]
# Everything lives in a temporary folder (never ~/.aws); moto is stopped at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
awslab=${1:-$PWD/target/debug/awslab}
plan=$PWD/plans/sts-assume-role.yaml
w=$(mktemp -d)
export AWS_CONFIG_FILE=$w/config AWS_SHARED_CREDENTIALS_FILE=$w/credentials AWSLAB_STATE_DIR=$w/state AWSLAB_SANDBOX_DIR=$w/sandbox
ms() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }
sandbox=()
for i in 1 2 3 4 5 6 7; do
  t=$(date +%s%N); $awslab up $plan --run-id s$i >/dev/null 2>&1; $awslab down s$i >/dev/null 2>&1; sandbox+=($(ms $t))
done
echo "sandbox up+down ms: ${sandbox[*]}"
# 30 copies at once
t=$(date +%s%N)
for i in $(seq 1 30); do ( AWS_CONFIG_FILE=$w/c$i AWS_SHARED_CREDENTIALS_FILE=$w/k$i $awslab up $plan --run-id c$i >/dev/null 2>&1 && AWS_CONFIG_FILE=$w/c$i AWS_SHARED_CREDENTIALS_FILE=$w/k$i $awslab down c$i >/dev/null 2>&1 || echo "copy $i failed" ) & done; wait
echo "30 concurrent sandbox up+down ms: $(ms $t)"
# moto
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
INITIAL_NO_AUTH_ACTION_COUNT=3 moto_server -H 127.0.0.1 -p $port >$w/moto.log 2>&1 & moto=$!
trap 'kill $moto 2>/dev/null; rm -rf $w' EXIT
until python3 -c "import urllib.request as u; u.urlopen('http://127.0.0.1:$port/moto-api/')" 2>/dev/null; do sleep 0.2; done
boot() { AWS_ACCESS_KEY_ID=b AWS_SECRET_ACCESS_KEY=b aws --region us-east-1 --endpoint-url http://127.0.0.1:$port "$@"; }
boot iam create-user --user-name admin >/dev/null
boot iam put-user-policy --user-name admin --policy-name admin --policy-document '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}'
read -r key secret < <(boot iam create-access-key --user-name admin --query 'AccessKey.[AccessKeyId,SecretAccessKey]' --output text)
export AWS_ACCESS_KEY_ID=$key AWS_SECRET_ACCESS_KEY=$secret AWS_REGION=us-east-1
moto=()
for i in 1 2 3 4 5 6 7; do
  t=$(date +%s%N); $awslab up $plan --endpoint-url http://127.0.0.1:$port --run-id m$i >/dev/null 2>&1; $awslab down m$i >/dev/null 2>&1; moto+=($(ms $t))
done
echo "moto up+down ms: ${moto[*]}"
