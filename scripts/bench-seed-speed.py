#!/usr/bin/env python3
"""The seed lab's speed on the sandbox (issue 21, section 2), every row in one run.

    python3 scripts/bench-seed-speed.py [--binary target/debug/awslab] [--runs 7]
        [--cli-runs 2] [--baseline OTHER_AWSLAB]

Rows, each measured in this one run so the ratios compare like with like:

1. `awslab up` + `awslab down` of plans/sts-assume-role.yaml as two whole processes on
   the embedded sandbox (in-process, a temporary --sandbox-dir) and, the baseline, the
   same binary against moto_server (IAM enforced), with `--settle-timeout 0` and with
   the default flags (which hold each expected AccessDenied for 5 s, since IAM may
   still be propagating off the sandbox), RUNS times each, in turn (the order reverses
   every other repetition), after one untimed warm-up each; with --baseline, that
   binary on the sandbox too (main before the change), in the same rotation.
2. Spawn to first step of `up` on the sandbox: from just before the process is spawned
   to the first `"event":"started"` line of `--output json` on its stdout, and the
   same from `main` to "first step" by the `awslab::startup` debug events (phases).
3. Journal syncs of `up` and `down`: the journal's own counter (its `journal closed`
   debug event) with group commit and with `AWSLAB_JOURNAL_GROUP_COMMIT=off` (one
   fdatasync a record, as before group commit: the baseline), and every
   fsync/fdatasync of the process counted by `strace -f -c` when strace is installed.
4. The seed runbook done by hand with the aws CLI (one process a command, as seeds
   000-003) against `awslab sandbox serve`, without the CLI's waiter sleeps:
   `cloudformation deploy` (which sleeps 5 s and 30 s between polls) is replaced by
   `create-stack` and `describe-stacks` repeated until the stack is complete (each
   poll an aws process, no sleep), and `delete-stack` is waited for the same way.
   Beside it, awslab `up` + `down` against the same `serve` over HTTP (with
   `--settle-timeout 0`: off the sandbox an expected denial is otherwise held for
   min(5 s, settle timeout / 4) in case IAM is still propagating).

Every run is checked (exit status 0, `5 of 5 verifications passed`, `Nothing is left.`,
the runbook's answers): a failed run stops the benchmark instead of being timed.
Standard library only. Never reads or writes ~/.aws: every child gets AWS_CONFIG_FILE,
AWS_SHARED_CREDENTIALS_FILE, AWSLAB_STATE_DIR and AWSLAB_SANDBOX_DIR in a temporary
folder; moto and `serve` are stopped by pid at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PLAN = str(REPO / "plans" / "sts-assume-role.yaml")
TEMPLATE = str(REPO / "plans" / "templates" / "role-and-bucket.yaml")
ADMIN_POLICY = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
)


class BenchError(Exception):
    """A run did not do what the lab expects."""


def check(condition: bool, message: str) -> None:
    if not condition:
        raise BenchError(message)


def real_tool(name: str) -> str:
    """The tool's real executable (a pyenv shim costs ~0.1 s a call)."""
    path = shutil.which(name)
    if not path:
        raise BenchError(f"`{name}` is not on PATH")
    if "/shims/" in path and shutil.which("pyenv"):
        real = subprocess.run(["pyenv", "which", name], capture_output=True, text=True)
        if real.returncode == 0 and real.stdout.strip():
            return real.stdout.strip()
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


class Bench:
    def __init__(self, binary: str, work: Path, baseline: str | None = None) -> None:
        self.binary = binary
        self.baseline = baseline
        self.work = work
        self.children: list[subprocess.Popen] = []
        self.base = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "AWSLAB_", "RUST_LOG"))}
        self.base.update(
            AWS_CONFIG_FILE=str(work / "config"),
            AWS_SHARED_CREDENTIALS_FILE=str(work / "credentials"),
            AWSLAB_STATE_DIR=str(work / "state"),
            AWSLAB_SANDBOX_DIR=str(work / "sandbox"),
            NO_COLOR="1",
        )

    def env(self, **extra: str) -> dict[str, str]:
        env = dict(self.base)
        env.update(extra)
        return env

    def awslab(self, args: list[str], env: dict[str, str] | None = None, expect: str | None = None,
               binary: str | None = None) -> tuple[float, str, str]:
        """Runs awslab; (seconds, stdout, stderr); checks exit 0 and `expect` in stdout."""
        t0 = time.perf_counter()
        done = subprocess.run([binary or self.binary, *args], env=env or self.env(), capture_output=True, text=True)
        seconds = time.perf_counter() - t0
        if done.returncode != 0 or (expect and expect not in done.stdout + done.stderr):
            raise BenchError(f"awslab {' '.join(args)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}")
        return seconds, done.stdout, done.stderr

    def up_first_step(self, args: list[str], env: dict[str, str], binary: str | None = None) -> tuple[float, float, str]:
        """`up ... --output json`: (seconds to the first started event, total, stderr)."""
        t0 = time.perf_counter()
        child = subprocess.Popen([binary or self.binary, *args, "--output", "json"], env=env,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        first = None
        lines = []
        assert child.stdout is not None
        for line in child.stdout:
            if first is None and b'"event":"started"' in line:
                first = time.perf_counter() - t0
            lines.append(line)
        stderr = child.stderr.read().decode() if child.stderr else ""
        code = child.wait()
        total = time.perf_counter() - t0
        out = b"".join(lines).decode()
        summary = json.loads(lines[-1]) if lines else {}
        if code != 0 or first is None or summary.get("succeeded") is not True:
            raise BenchError(f"awslab {' '.join(args)} exited {code}:\n{out}\n{stderr}")
        return first, total, stderr

    # moto -----------------------------------------------------------------
    def start_moto(self) -> tuple[str, dict[str, str]]:
        port = free_port()
        log = open(self.work / "moto.log", "w")
        env = dict(self.base, INITIAL_NO_AUTH_ACTION_COUNT="3")
        moto = subprocess.Popen([real_tool("moto_server"), "-H", "127.0.0.1", "-p", str(port)],
                                env=env, stdout=log, stderr=log)
        self.children.append(moto)
        url = f"http://127.0.0.1:{port}"
        for _ in range(200):
            try:
                urllib.request.urlopen(f"{url}/moto-api/", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise BenchError("moto_server did not start")
        aws = real_tool("aws")
        boot = dict(self.base, AWS_ACCESS_KEY_ID="b", AWS_SECRET_ACCESS_KEY="b")
        base = [aws, "--region", "us-east-1", "--endpoint-url", url]
        subprocess.run([*base, "iam", "create-user", "--user-name", "admin"], env=boot, check=True, capture_output=True)
        subprocess.run([*base, "iam", "put-user-policy", "--user-name", "admin", "--policy-name", "admin",
                        "--policy-document", ADMIN_POLICY], env=boot, check=True, capture_output=True)
        keys = subprocess.run([*base, "iam", "create-access-key", "--user-name", "admin", "--query",
                               "AccessKey.[AccessKeyId,SecretAccessKey]", "--output", "text"],
                              env=boot, check=True, capture_output=True, text=True).stdout.split()
        return url, self.env(AWS_ACCESS_KEY_ID=keys[0], AWS_SECRET_ACCESS_KEY=keys[1], AWS_REGION="us-east-1")

    # the rows ---------------------------------------------------------------
    def lab_rows(self, runs: int) -> dict:
        sandbox_dir = str(self.work / "sb")
        url, moto_env = self.start_moto()
        sandbox = lambda run: (["up", PLAN, "--sandbox-dir", sandbox_dir, "--run-id", run],
                               ["down", run, "--sandbox-dir", sandbox_dir], self.env())
        moto = lambda run: (["up", PLAN, "--endpoint-url", url, "--run-id", run], ["down", run], moto_env)
        # Off the sandbox an expected AccessDenied is accepted once it has stayed so for
        # min(5 s, settle timeout / 4) (IAM may still be propagating); moto answers at
        # once, so `--settle-timeout 0` leaves awslab's own work without that hold.
        moto0 = lambda run: (["up", PLAN, "--endpoint-url", url, "--run-id", run, "--settle-timeout", "0"],
                             ["down", run], moto_env)

        base_dir = str(self.work / "base")
        base = lambda run: (["up", PLAN, "--sandbox-dir", base_dir, "--run-id", run],
                            ["down", run, "--sandbox-dir", base_dir], self.env(), self.baseline)

        def one(side, run: str) -> tuple[float, float, float]:
            up, down, env, *binary = side(run)
            binary = binary[0] if binary else None
            first, up_s, _ = self.up_first_step(up, env, binary)
            down_s, _, _ = self.awslab(down, env, expect="Nothing is left.", binary=binary)
            return first, up_s, down_s

        one(sandbox, "ws")
        one(moto, "wm")
        rows = {"sandbox": [], "moto": [], "moto0": [], "base": []}
        sides = [("sandbox", sandbox), ("moto0", moto0), ("moto", moto)]
        if self.baseline:
            one(base, "wb")
            sides.insert(1, ("base", base))
        for i in range(runs):
            order = list(sides)
            if i % 2:
                order.reverse()
            for name, side in order:
                rows[name].append(one(side, f"{name}-{i}"))
        return rows

    def startup_phases(self, runs: int) -> list[dict[str, float]]:
        """`awslab::startup` phases of `up` on the sandbox (microseconds since main)."""
        sandbox_dir = str(self.work / "phases")
        env = self.env(RUST_LOG="awslab::startup=debug")
        phases = []
        for i in range(runs):
            run = f"p{i}"
            _, _, stderr = self.up_first_step(["up", PLAN, "--sandbox-dir", sandbox_dir, "--run-id", run], env)
            self.awslab(["down", run, "--sandbox-dir", sandbox_dir], expect="Nothing is left.")
            found = dict(re.findall(r'phase="([^"]+)" since_main_us=(\d+)', stderr))
            phases.append({k: int(v) / 1000 for k, v in found.items()})
        return phases

    def syncs(self) -> dict:
        """Journal syncs (its counter) and strace's fsync/fdatasync count, group commit on/off."""
        sandbox_dir = str(self.work / "syncs")
        out = {}
        strace = shutil.which("strace")
        for mode in ("on", "off"):
            env = self.env(RUST_LOG="awslab_executor::journal=debug", AWSLAB_JOURNAL_GROUP_COMMIT=mode)
            run = f"y{mode}"
            for command, args in (("up", ["up", PLAN, "--sandbox-dir", sandbox_dir, "--run-id", run, "--parallel", "1"]),
                                  ("down", ["down", run, "--sandbox-dir", sandbox_dir])):
                prefix = []
                trace = self.work / f"strace-{mode}-{command}"
                if strace:
                    prefix = [strace, "-f", "-c", "-o", str(trace), "-e", "trace=fsync,fdatasync"]
                done = subprocess.run([*prefix, self.binary, *args], env=env, capture_output=True, text=True)
                if done.returncode != 0:
                    raise BenchError(f"{command} ({mode}) exited {done.returncode}:\n{done.stdout}\n{done.stderr}")
                found = re.search(r"journal closed records=(\d+) syncs=(\d+)", done.stderr)
                check(found is not None, f"no `journal closed` event:\n{done.stderr}")
                row = {"records": int(found[1]), "journal_syncs": int(found[2])}
                if strace:
                    text = trace.read_text()
                    row["process_syncs"] = sum(int(m[1]) for m in re.finditer(r"^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?(fsync|fdatasync)$", text, re.M))
                out[(mode, command)] = row
        return out

    def runbook_rows(self, runs: int) -> dict:
        """The seed runbook with the aws CLI against `sandbox serve`, no waiter sleeps."""
        served = self.work / "served"
        serve_out = open(self.work / "serve.out", "w")
        serve = subprocess.Popen([self.binary, "sandbox", "serve", "--port", "0", "--state-dir", str(served)],
                                 env=self.env(), stdout=serve_out, stderr=subprocess.DEVNULL)
        self.children.append(serve)
        endpoint = None
        for _ in range(400):
            text = (self.work / "serve.out").read_text()
            found = re.search(r"listening on (http://\S+)", text)
            if found:
                endpoint = found[1]
                break
            time.sleep(0.025)
        check(endpoint is not None, "awslab sandbox serve did not start")
        port = endpoint.rsplit(":", 1)[1]
        exports = subprocess.run([self.binary, "sandbox", "env", "--state-dir", str(served), "--port", port],
                                 env=self.env(), capture_output=True, text=True, check=True).stdout
        keys = dict(re.findall(r"export (AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY)=['\"]?([^'\"\n]+)", exports))
        check(len(keys) == 2, "no operator keys from `awslab sandbox env`")
        aws = real_tool("aws")
        results = {"runbook": [], "runbook_calls": [], "awslab_http": []}
        for i in range(runs):
            seconds, calls = self.runbook(aws, endpoint, keys, f"rb{i}")
            results["runbook"].append(seconds)
            results["runbook_calls"].append(calls)
            env = self.env(**keys, AWS_REGION="us-east-1")
            t0 = time.perf_counter()
            self.awslab(["up", PLAN, "--endpoint-url", endpoint, "--run-id", f"h{i}", "--settle-timeout", "0"], env,
                        expect="5 of 5 verifications passed")
            self.awslab(["down", f"h{i}"], env, expect="Nothing is left.")
            results["awslab_http"].append(time.perf_counter() - t0)
        return results

    def runbook(self, aws: str, endpoint: str, keys: dict[str, str], run: str) -> tuple[float, int]:
        user, bucket, stack = f"cli-user-{run}", f"cli-lab-{run}", f"cli-lab-{run}"
        creds = self.work / f"cli-credentials-{run}"
        creds.write_text("")
        os.chmod(creds, 0o600)
        operator = self.env(**keys, AWS_SHARED_CREDENTIALS_FILE=str(creds), AWS_CONFIG_FILE=str(self.work / f"cli-config-{run}"))
        as_profile = {k: v for k, v in operator.items() if k not in keys}
        calls = 0

        def cli(args: list[str], env: dict[str, str], ok: bool = True) -> str:
            nonlocal calls
            calls += 1
            done = subprocess.run([aws, "--region", "us-east-1", "--endpoint-url", endpoint, "--output", "text", *args],
                                  env=env, capture_output=True, text=True)
            if ok:
                check(done.returncode == 0, f"aws {' '.join(args)}: {done.stderr}")
            else:
                check(done.returncode != 0 and "AccessDenied" in done.stderr, f"aws {' '.join(args)} was not denied: {done.stderr}")
            return done.stdout.strip()

        def wait_stack(goal: str) -> None:
            # What `cloudformation wait stack-create-complete` / `stack-delete-complete`
            # do, without their sleeps: describe the stack until it is done (a stack
            # that no longer exists is deleted, as for the CLI's waiter).
            nonlocal calls
            for _ in range(200):
                calls += 1
                done = subprocess.run([aws, "--region", "us-east-1", "--endpoint-url", endpoint, "--output", "text",
                                       "cloudformation", "describe-stacks", "--stack-name", stack,
                                       "--query", "Stacks[0].StackStatus"], env=operator, capture_output=True, text=True)
                status = done.stdout.strip()
                if goal == "DELETE_COMPLETE" and done.returncode != 0 and "does not exist" in done.stderr:
                    return
                check(done.returncode == 0, f"describe-stacks: {done.stderr}")
                if status == goal:
                    return
                check(not status.endswith(("FAILED", "ROLLBACK_COMPLETE")), f"stack {status}")
            raise BenchError(f"stack never reached {goal}")

        t0 = time.perf_counter()
        cli(["iam", "create-user", "--user-name", user], operator)
        key, secret = cli(["iam", "create-access-key", "--user-name", user, "--query",
                           "AccessKey.[AccessKeyId,SecretAccessKey]"], operator).split()
        with open(creds, "a") as f:
            f.write(f"[sts]\naws_access_key_id = {key}\naws_secret_access_key = {secret}\n")
        arn = cli(["sts", "get-caller-identity", "--profile", "sts", "--query", "Arn"], as_profile)
        check(arn.endswith(f":user/{user}"), f"whoami gave {arn}")
        cli(["s3", "ls", "--profile", "sts"], as_profile, ok=False)
        cli(["cloudformation", "create-stack", "--stack-name", stack, "--template-body", f"file://{TEMPLATE}",
             "--parameters", f"ParameterKey=UserArn,ParameterValue={arn}",
             f"ParameterKey=BucketName,ParameterValue={bucket}", "--capabilities", "CAPABILITY_IAM"], operator)
        wait_stack("CREATE_COMPLETE")
        role = cli(["cloudformation", "describe-stacks", "--stack-name", stack, "--query",
                    "Stacks[0].Outputs[?OutputKey=='RoleArn'].OutputValue"], operator)
        policy = json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": role}]})
        cli(["iam", "put-user-policy", "--user-name", user, "--policy-name", "StsAssumePolicy",
             "--policy-document", policy], operator)
        akid, asecret, token = cli(["sts", "assume-role", "--profile", "sts", "--role-arn", role,
                                    "--role-session-name", "s3-sts-lab", "--query",
                                    "Credentials.[AccessKeyId,SecretAccessKey,SessionToken]"], as_profile).split()
        with open(creds, "a") as f:
            f.write(f"[assumed]\naws_access_key_id = {akid}\naws_secret_access_key = {asecret}\n"
                    f"aws_session_token = {token}\n")
        arn = cli(["sts", "get-caller-identity", "--profile", "assumed", "--query", "Arn"], as_profile)
        check(arn.endswith("/s3-sts-lab") and ":assumed-role/" in arn, f"assumed whoami gave {arn}")
        cli(["s3", "ls", f"s3://{bucket}", "--profile", "assumed"], as_profile)
        cli(["s3", "ls", f"s3://{bucket}", "--profile", "sts"], as_profile, ok=False)
        cli(["cloudformation", "delete-stack", "--stack-name", stack], operator)
        wait_stack("DELETE_COMPLETE")
        cli(["iam", "delete-user-policy", "--user-name", user, "--policy-name", "StsAssumePolicy"], operator)
        cli(["iam", "delete-access-key", "--user-name", user, "--access-key-id", key], operator)
        cli(["iam", "delete-user", "--user-name", user], operator)
        return time.perf_counter() - t0, calls

    def stop(self) -> None:
        for child in self.children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
                try:
                    child.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    child.kill()


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=str(REPO / "target" / "debug" / "awslab"))
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--baseline", help="another awslab binary (main before the change) for the sandbox rows")
    parser.add_argument("--cli-runs", type=int, default=2)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="awslab-speed-"))
    bench = Bench(args.binary, work, args.baseline)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda *_: sys.exit(1))
    try:
        print(f"binary: {args.binary}; baseline: {args.baseline}; load average at start: {os.getloadavg()[0]:.1f}")
        rows = bench.lab_rows(args.runs)
        phases = bench.startup_phases(args.runs)
        syncs = bench.syncs()
        runbook = bench.runbook_rows(args.cli_runs) if args.cli_runs else None

        print("\n| side | up + down, each run (ms) | median up + down | median up | median spawn to first step |")
        print("|---|---|---:|---:|---:|")
        labels = {"sandbox": "sandbox (in-process)", "moto0": "moto, `--settle-timeout 0`",
                  "moto": "moto, default flags (5 s hold on each expected denial)",
                  "base": "sandbox (in-process), the baseline binary"}
        for name in ("sandbox", "base", "moto0", "moto"):
            if not rows[name]:
                continue
            runs = rows[name]
            totals = [u + d for _, u, d in runs]
            print(f"| {labels[name]} | {', '.join(ms(t) for t in totals)} | {ms(median(totals))} | "
                  f"{ms(median([u for _, u, _ in runs]))} | {ms(median([f for f, _, _ in runs]))} |")
        sandbox_total = median([u + d for _, u, d in rows["sandbox"]])
        if rows["base"]:
            print(f"\nbaseline binary / this binary, sandbox up + down: "
                  f"{median([u + d for _, u, d in rows['base']]) / sandbox_total:.2f}x; spawn to first step: "
                  f"{median([f for f, _, _ in rows['base']]) * 1000:.1f} ms -> {median([f for f, _, _ in rows['sandbox']]) * 1000:.1f} ms")
        for name in ("moto0", "moto"):
            ratio = median([u + d for _, u, d in rows[name]]) / sandbox_total
            print(f"\nratio {labels[name]} / sandbox (median up + down): {ratio:.2f}x (goal >= 4x)")

        names = [k for k in phases[0]] if phases else []
        print("\n| `awslab::startup` phase (ms since main, median) | " + " | ".join(names) + " |")
        print("|---|" + "---:|" * len(names))
        print("| up on the sandbox | " + " | ".join(f"{median([p.get(n, float('nan')) for p in phases]):.1f}" for n in names) + " |")

        print("\n| command | group commit | records | journal syncs | fsync+fdatasync of the process (strace) |")
        print("|---|---|---:|---:|---:|")
        for (mode, command), row in sorted(syncs.items(), key=lambda item: (item[0][1] != "up", item[0][0] != "off")):
            print(f"| {command} | {mode} | {row['records']} | {row['journal_syncs']} | {row.get('process_syncs', 'n/a')} |")

        if runbook:
            print("\n| what | each run (ms) | median |")
            print("|---|---|---:|")
            print(f"| aws CLI runbook on `sandbox serve`, no waiter sleeps ({runbook['runbook_calls'][0]} aws processes) | "
                  f"{', '.join(ms(t) for t in runbook['runbook'])} | {ms(median(runbook['runbook']))} |")
            print(f"| awslab up + down on the same `serve` (HTTP, `--settle-timeout 0`) | {', '.join(ms(t) for t in runbook['awslab_http'])} | "
                  f"{ms(median(runbook['awslab_http']))} |")
            print(f"\nratio runbook / awslab on serve: {median(runbook['runbook']) / median(runbook['awslab_http']):.1f}x")
        print(f"\nload average at end: {os.getloadavg()[0]:.1f}")
        return 0
    except BenchError as error:
        print(f"benchmark stopped: {error}", file=sys.stderr)
        return 1
    finally:
        bench.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
