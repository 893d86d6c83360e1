#!/usr/bin/env bash
# Provision, verify and always tear down the seed lab in the account of the current
# credentials; exit non-zero if a verification fails or teardown leaves anything.
# Usage: examples/ci-lab.sh [RUN_ID]
set -uo pipefail
run_id=${1:-ci-$(date +%s)}
awslab=${AWSLAB:-target/release/awslab}
"$awslab" validate plans/sts-assume-role.yaml || exit 2
"$awslab" up plans/sts-assume-role.yaml --target aws --run-id "$run_id" --yes --junit lab.xml
up=$?
"$awslab" down "$run_id" --yes
down=$?
# A teardown problem (3) outranks a failed verification (1).
if [ "$down" -ne 0 ]; then exit "$down"; fi
exit "$up"
