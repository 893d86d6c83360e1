#!/usr/bin/env bash
# Issue 16's reproductions, timed and measured for two awslab binaries in one run: the
# baseline (BASE, e.g. a build of 4b72093) and the one under test (NEW). For each:
# - `awslab policy check` of a policy whose StringEquals block has N invalid condition
#   keys (N = 1,000, 4,000, 8,000): wall milliseconds;
# - `awslab up` on the sandbox of a plan whose cfn.stack template is a YAML alias bomb
#   (a chain of 20 anchors over a 2,000-character string, each `[*prev, *prev]`: 2 GB
#   once expanded), under `prlimit --as=1GiB` so a blow-up cannot take the machine:
#   exit status and peak RSS (GNU time's maximum resident set size);
# - the seed lab, `up` + `down` on the embedded sandbox, 5 times: median milliseconds.
# Usage: bench/hostile_input.sh BASE_BINARY NEW_BINARY. Everything lives in a temporary
# folder (never ~/.aws).
set -euo pipefail
cd "$(dirname "$0")/.."
base=$1 new=$2
plan=$PWD/plans/sts-assume-role.yaml
w=$(mktemp -d)
trap 'rm -rf $w' EXIT
export AWS_CONFIG_FILE=$w/config AWS_SHARED_CREDENTIALS_FILE=$w/credentials
ms() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }

python3 - "$w" <<'EOF'
import sys
w = sys.argv[1]
for n in (1000, 4000, 8000):
    keys = ",".join('"k%d": "v"' % i for i in range(n))
    with open(f"{w}/keys{n}.json", "w") as f:
        f.write('{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:GetObject", '
                '"Resource": "*", "Condition": {"StringEquals": {' + keys + '}}}}')
lines = ["AWSTemplateFormatVersion: '2010-09-09'", "Metadata:", "  a0: &a0 " + "x" * 2000]
for i in range(1, 21):
    lines.append(f"  a{i}: &a{i} [*a{i-1}, *a{i-1}]")
lines += ["Resources:", "  Bucket:", "    Type: AWS::S3::Bucket"]
with open(f"{w}/bomb.yaml", "w") as f:
    f.write("\n".join(lines) + "\n")
with open(f"{w}/plan.yaml", "w") as f:
    f.write("name: bomb\nsteps:\n  stack:\n    cfn.stack: { name: bomb, template: bomb.yaml }\n")
EOF

for side in base new; do
  bin=${!side}
  line="$side:"
  for n in 1000 4000 8000; do
    t=$(date +%s%N); "$bin" policy check "$w/keys$n.json" >/dev/null 2>&1 || true
    line+=" policy check $n keys $(ms "$t") ms;"
  done
  export AWSLAB_STATE_DIR=$w/$side-state AWSLAB_SANDBOX_DIR=$w/$side-sandbox
  set +e
  /usr/bin/time -f '%M' -o "$w/rss" prlimit --as=1073741824 "$bin" up "$w/plan.yaml" --run-id bomb >/dev/null 2>&1
  status=$?
  "$bin" down bomb >/dev/null 2>&1
  set -e
  line+=" up of the bomb: exit $status, peak $(( $(tail -1 "$w/rss") / 1024 )) MiB;"
  runs=()
  for i in 1 2 3 4 5; do
    t=$(date +%s%N)
    "$bin" up "$plan" --run-id "$side$i" >/dev/null 2>&1
    "$bin" down "$side$i" >/dev/null 2>&1
    runs+=("$(ms "$t")")
  done
  median=$(printf '%s\n' "${runs[@]}" | sort -n | sed -n 3p)
  line+=" seed lab up+down median $median ms (${runs[*]})"
  echo "$line"
done
