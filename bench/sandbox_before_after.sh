#!/usr/bin/env bash
# `cargo bench -p awslab-sandbox` of two trees, run alternately (before, after, before,
# after, ...), each binary from its own tree's crates/sandbox, so that load that comes
# and goes falls on both alike. The rows to compare on a loaded machine are the CPU
# ones (`/s of CPU time`, `us of CPU`); on a quiet one, every row.
# Usage: bench/sandbox_before_after.sh BEFORE_BIN BEFORE_TREE AFTER_BIN AFTER_TREE [RUNS] [GROUP]
#   *_BIN   a `cargo bench -p awslab-sandbox --bench sandbox --no-run` binary (copy the
#           first out of its target folder before building the second)
#   *_TREE  the worktree it was built from
#   RUNS    runs of each (default 3); GROUP: AWSLAB_BENCH_ONLY (default: every group)
# Each run's output goes to stdout under a `== before|after run N` line with the time
# and the load average.
set -euo pipefail
before_bin=$(realpath "$1") before_tree=$(realpath "$2")
after_bin=$(realpath "$3") after_tree=$(realpath "$4")
runs=${5:-3} group=${6:-}
for run in $(seq 1 "$runs"); do
  for side in before after; do
    if [ "$side" = before ]; then bin=$before_bin tree=$before_tree; else bin=$after_bin tree=$after_tree; fi
    echo "== $side run $run $(date -u +%H:%M:%S) load $(cut -d' ' -f1 /proc/loadavg)"
    (cd "$tree/crates/sandbox" && env ${group:+AWSLAB_BENCH_ONLY=$group} "$bin" --bench)
  done
done
