#!/usr/bin/env python3
"""Paired before/after timing of one kind of in-process sandbox call.

Runs two `cargo bench -p awslab-sandbox --bench sandbox --no-run` binaries in counted
mode (`BENCH_MODE`, `BENCH_CALLS`: N signed GetUser calls on a memory store, no
timing inside), in pairs whose order alternates (before then after, after then
before, ...), and times each process's CPU (user + system of the child, from
`os.wait4`). Each pair runs within a few seconds, so load that comes and goes on a
shared machine falls on both sides of a pair alike, and neither side always runs
second; the answer is the median of the pairs' ratios, with how many pairs each side
won.

Usage: bench/sandbox_paired.py BEFORE_BIN AFTER_BIN [--pairs 40] [--calls 3000]
       [--mode full|sandbox|sdk|loopback]
"""

import argparse
import os
import statistics
import subprocess


def cpu_seconds(binary: str, mode: str, calls: int) -> float:
    env = dict(os.environ, BENCH_MODE=mode, BENCH_CALLS=str(calls))
    child = subprocess.Popen([binary], env=env, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    if not os.WIFEXITED(status) or os.WEXITSTATUS(status) != 0:
        raise SystemExit(f"{binary} failed (status {status})")
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before")
    parser.add_argument("after")
    parser.add_argument("--pairs", type=int, default=40)
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--mode", default="full", choices=["full", "sandbox", "sdk", "loopback"])
    args = parser.parse_args()
    # One of each first: page cache and CPU frequency settle.
    cpu_seconds(args.before, args.mode, args.calls)
    cpu_seconds(args.after, args.mode, args.calls)
    ratios, before_times, after_times = [], [], []
    for pair in range(args.pairs):
        if pair % 2 == 0:
            before = cpu_seconds(args.before, args.mode, args.calls)
            after = cpu_seconds(args.after, args.mode, args.calls)
        else:
            after = cpu_seconds(args.after, args.mode, args.calls)
            before = cpu_seconds(args.before, args.mode, args.calls)
        before_times.append(before)
        after_times.append(after)
        ratios.append(after / before)
    faster = sum(1 for ratio in ratios if ratio < 1)
    print(f"mode {args.mode}, {args.calls} calls a process, {args.pairs} pairs")
    print(
        f"before: median {statistics.median(before_times) * 1e6 / args.calls:.1f} us a call"
        f" (CPU, process start and set-up included)"
    )
    print(f"after:  median {statistics.median(after_times) * 1e6 / args.calls:.1f} us a call")
    quartiles = statistics.quantiles(ratios, n=4)
    print(
        f"after/before: median {statistics.median(ratios):.3f}"
        f" (quartiles {quartiles[0]:.3f}-{quartiles[2]:.3f});"
        f" after faster in {faster} of {args.pairs} pairs"
    )


if __name__ == "__main__":
    main()
