#!/usr/bin/env python3
"""A class at once (issue 21): one `up --learners N` against N separate `up` processes.

    python3 scripts/bench-class.py [--binary target/release/awslab] [--runs 3] [--big 300]

Rows, each measured in this one run on the embedded sandbox (a new temporary
--sandbox-dir for every repetition), so the ratios compare like with like:

1. The baseline: a class of 30 as 30 separate `awslab up plans/sts-assume-role.yaml`
   processes, each with its own AWS CLI files and run id, all started at once on one
   sandbox folder, then their 30 `awslab down` processes at once (what an instructor
   scripts today); and the same 30 `up` one after another.
2. `awslab up plans/sts-assume-role.yaml --learners 30` as one process, then one
   `awslab down`, at the default `--parallel` and at `--parallel 8`.
3. `--learners BIG` (default 300) with `--parallel 8`: wall time and peak resident
   memory (the child's ru_maxrss from wait4) of `up` and of `down`.

Repetitions alternate baseline and class. Every run is checked (exit status 0; each
class's `--output json` summary has every learner succeeded; each `down` says
`Nothing is left.`): a failed run stops the benchmark instead of being timed.
Standard library only. Never reads or writes ~/.aws: every child gets
AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE, AWSLAB_STATE_DIR and AWSLAB_SANDBOX_DIR
in a temporary folder, removed at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PLAN = str(REPO / "plans" / "sts-assume-role.yaml")


class BenchError(Exception):
    """A run did not do what the lab expects."""


def run(binary: str, args: list[str], env: dict[str, str], expect: str | None = None) -> tuple[float, int, str]:
    """Runs awslab to the end: (seconds, its own peak RSS in KiB from wait4, output).
    Checks exit status 0 and that `expect` is in the output."""
    home = Path(env["AWSLAB_STATE_DIR"]).parent
    with open(home / "run.out", "wb") as out, open(home / "run.err", "wb") as err:
        t0 = time.perf_counter()
        child = subprocess.Popen([binary, *args], env=env, stdout=out, stderr=err)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - t0
    code = child.returncode = os.waitstatus_to_exitcode(status)
    stdout = (home / "run.out").read_text(errors="replace")
    text = stdout + (home / "run.err").read_text(errors="replace")
    if code != 0 or (expect and expect not in text):
        raise BenchError(f"awslab {' '.join(args)} exited {code}:\n{text[-4000:]}")
    return seconds, usage.ru_maxrss, stdout


def env_in(folder: Path, name: str) -> dict[str, str]:
    """An environment whose AWS CLI files and state live in folder/name."""
    home = folder / name
    home.mkdir(parents=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "AWSLAB_", "RUST_LOG"))}
    for f in ("config", "credentials"):
        (home / f).touch(mode=0o600)
    env.update(
        AWS_CONFIG_FILE=str(home / "config"),
        AWS_SHARED_CREDENTIALS_FILE=str(home / "credentials"),
        AWSLAB_STATE_DIR=str(home / "state"),
        AWSLAB_SANDBOX_DIR=str(folder / "sandbox"),
        NO_COLOR="1",
    )
    return env


def all_at_once(binary: str, jobs: list[tuple[list[str], dict[str, str]]], expect: str | None) -> float:
    """Starts every job at once and waits for all: the wall time; checks each."""
    t0 = time.perf_counter()
    children = [subprocess.Popen([binary, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
                for args, env in jobs]
    outs = [c.communicate()[0].decode() for c in children]
    seconds = time.perf_counter() - t0
    for (args, _), child, out in zip(jobs, children, outs):
        if child.returncode != 0 or (expect and expect not in out):
            raise BenchError(f"awslab {' '.join(args)} exited {child.returncode}:\n{out[-4000:]}")
    return seconds


def separate(binary: str, work: Path, n: int, concurrent: bool) -> tuple[float, float]:
    """n separate `up` processes (at once or one by one), then their n `down`s at once."""
    folder = Path(tempfile.mkdtemp(dir=work))
    envs = [env_in(folder, f"l{i}") for i in range(n)]
    ups = [(["up", PLAN, "--run-id", f"l{i}"], envs[i]) for i in range(n)]
    downs = [(["down", f"l{i}"], envs[i]) for i in range(n)]
    if concurrent:
        up = all_at_once(binary, ups, "5 of 5 verifications passed")
    else:
        t0 = time.perf_counter()
        for args, env in ups:
            run(binary, args, env, expect="5 of 5 verifications passed")
        up = time.perf_counter() - t0
    down = all_at_once(binary, downs, "Nothing is left.")
    return up, down


def one_class(binary: str, work: Path, n: int, parallel: int | None) -> dict:
    """One `up --learners n` and one `down`: seconds (and peak RSS in MiB)."""
    folder = Path(tempfile.mkdtemp(dir=work))
    env = env_in(folder, "instructor")
    args = ["up", PLAN, "--learners", str(n), "--run-id", "class", "--output", "json"]
    if parallel:
        args += ["--parallel", str(parallel)]
    up, up_rss, out = run(binary, args, env)
    summary = json.loads(out.strip().splitlines()[-1])
    learners = summary.get("learners") or []
    ok = [l for l in learners if l.get("succeeded") is True]
    if summary.get("succeeded") is not True or len(ok) != n:
        raise BenchError(f"class of {n}: {len(ok)} of {len(learners)} learners succeeded:\n{out[-4000:]}")
    down, down_rss, _ = run(binary, ["down", "class"], env, expect="Nothing is left.")
    return {"up": up, "down": down, "up_mib": up_rss / 1024, "down_mib": down_rss / 1024}


def ms(values: list[float]) -> str:
    return ", ".join(f"{v * 1000:,.0f}" for v in values) + f": median **{statistics.median(values) * 1000:,.0f}**"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", default=str(REPO / "target" / "release" / "awslab"))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--learners", type=int, default=30)
    parser.add_argument("--big", type=int, default=300)
    a = parser.parse_args()
    binary = str(Path(a.binary).resolve())
    n = a.learners
    with tempfile.TemporaryDirectory(prefix="awslab-bench-class-") as tmp:
        work = Path(tmp)
        rows: dict[str, list[float]] = {k: [] for k in (
            "sep_up", "sep_down", "seq_up", "cls_up", "cls_down", "cls8_up", "cls8_down")}
        # Warm-ups, untimed.
        separate(binary, work, 2, True)
        one_class(binary, work, 2, None)
        for i in range(a.runs):
            order = ["sep", "seq", "cls", "cls8"]
            if i % 2:
                order.reverse()
            for what in order:
                if what == "sep":
                    up, down = separate(binary, work, n, True)
                    rows["sep_up"].append(up)
                    rows["sep_down"].append(down)
                elif what == "seq":
                    up, _ = separate(binary, work, n, False)
                    rows["seq_up"].append(up)
                elif what == "cls":
                    r = one_class(binary, work, n, None)
                    rows["cls_up"].append(r["up"])
                    rows["cls_down"].append(r["down"])
                else:
                    r = one_class(binary, work, n, 8)
                    rows["cls8_up"].append(r["up"])
                    rows["cls8_down"].append(r["down"])
        big = one_class(binary, work, a.big, 8)
    med = {k: statistics.median(v) for k, v in rows.items()}
    sep_total = med["sep_up"] + med["sep_down"]
    print(f"binary: {binary}; {a.runs} runs; load average at the end: {os.getloadavg()[0]:.2f}\n")
    print(f"| {n} learners (ms) | runs | ratio to {n} processes at once |")
    print("|---|---|---|")
    print(f"| {n} `up` processes at once (baseline) | {ms(rows['sep_up'])} | 1.0x |")
    print(f"| their {n} `down` processes at once | {ms(rows['sep_down'])} | |")
    print(f"| {n} `up` processes one after another | {ms(rows['seq_up'])} | {med['seq_up'] / med['sep_up']:.2f}x the time |")
    for key, label in (("cls", "default --parallel"), ("cls8", "--parallel 8")):
        up, down = med[f"{key}_up"], med[f"{key}_down"]
        print(f"| one `up --learners {n}`, {label} | {ms(rows[key + '_up'])} | **{med['sep_up'] / up:.1f}x** faster |")
        print(f"| its one `down` | {ms(rows[key + '_down'])} | up+down {sep_total / (up + down):.1f}x faster |")
    print(f"\n{a.big} learners, --parallel 8: up {big['up'] * 1000:,.0f} ms, peak RSS {big['up_mib']:.0f} MiB; "
          f"down {big['down'] * 1000:,.0f} ms, peak RSS {big['down_mib']:.0f} MiB")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as e:
        print(f"bench-class: {e}", file=sys.stderr)
        sys.exit(1)
