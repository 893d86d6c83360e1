#!/usr/bin/env python3
"""Wall time of the seed lab with awslab vs. the seed runbook with the aws CLI, on moto.

    python3 bench/lab_vs_cli.py --repeat 5

Side A runs `awslab up plans/sts-assume-role.yaml` and `awslab down` (release build).
Side B does the same lab the way seeds 000-003 do it by hand: the aws CLI, one process
a call, profiles written into the credentials file, `cloudformation create-stack` +
`wait`, then the cleanup. Each side gets its own moto_server (127.0.0.1, a free port,
authorization enforced), warmed up with one untimed run; the timed repetitions of the
two sides are interleaved so that load on the machine hits both alike. Every run is
checked (exit codes, 5 of 5 verifications, AccessDenied where the lab expects it, moto
empty afterwards), so a failure cannot pass for a fast run.

AWS calls are counted from moto's request log (one werkzeug line a request).
Standard library only; needs `aws` (CLI v1 or v2) and `moto_server` on PATH, or
--aws / --moto-server. Never reads or writes ~/.aws: every child gets
AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE in a temporary folder.
"""

from __future__ import annotations

import argparse
import configparser
import hashlib
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PLAN = "plans/sts-assume-role.yaml"
TEMPLATE = REPO / "plans" / "templates" / "role-and-bucket.yaml"
SESSION = "s3-sts-lab"
REGION = "us-east-1"
ADMIN_POLICY = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
)
REQUEST_LINE = re.compile(r'"(GET|POST|PUT|DELETE|HEAD|PATCH|OPTIONS) \S+ HTTP/[0-9.]+" \d{3}')


class BenchError(Exception):
    """A run did not do what the lab expects: the benchmark stops instead of timing it."""


def check(condition: bool, message: str) -> None:
    if not condition:
        raise BenchError(message)


def resolve_tool(name: str, given: str | None) -> str:
    """The tool's real executable: a pyenv shim costs ~0.1 s a call, so look through it."""
    path = given or shutil.which(name)
    if not path:
        sys.exit(f"error: `{name}` not found on PATH")
    if "/shims/" in path and shutil.which("pyenv"):
        real = subprocess.run(["pyenv", "which", name], capture_output=True, text=True)
        if real.returncode == 0 and real.stdout.strip():
            return real.stdout.strip()
    return path


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def clean_env(workdir: Path) -> dict[str, str]:
    """The parent's environment without any AWS_* variable, plus our own files."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_CONFIG_FILE=str(workdir / "config"),
        AWS_SHARED_CREDENTIALS_FILE=str(workdir / "credentials"),
        AWS_DEFAULT_REGION=REGION,
        AWS_PAGER="",
        CI="1",  # awslab: plain progress lines, no spinners
    )
    return env


class Profiles:
    """The temporary AWS config and credentials files, edited as a person would."""

    def __init__(self, workdir: Path):
        self.config = workdir / "config"
        self.credentials = workdir / "credentials"

    def _edit(self, path: Path, section: str, values: dict[str, str] | None) -> None:
        parser = configparser.RawConfigParser()
        parser.read(path)
        if values is None:
            parser.remove_section(section)
        else:
            if not parser.has_section(section):
                parser.add_section(section)
            for key, value in values.items():
                parser.set(section, key, value)
        with open(path, "w") as f:
            parser.write(f)

    def set(self, name: str, key: str, secret: str, token: str | None = None) -> None:
        creds = {"aws_access_key_id": key, "aws_secret_access_key": secret}
        if token:
            creds["aws_session_token"] = token
        self._edit(self.credentials, name, creds)
        self._edit(self.config, "default" if name == "default" else f"profile {name}",
                   {"region": REGION})

    def remove(self, name: str) -> None:
        self._edit(self.credentials, name, None)
        self._edit(self.config, f"profile {name}", None)


class Moto:
    """One moto_server with authorization enforced after three free requests."""

    def __init__(self, exe: str, workdir: Path, name: str, servers: list[Moto]):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = workdir / f"moto-{name}.log"
        self.log = open(self.log_path, "w")
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(INITIAL_NO_AUTH_ACTION_COUNT="3", MOTO_IAM_LOAD_MANAGED_POLICIES="true",
                   PYTHONUNBUFFERED="1")
        started = time.perf_counter()
        self.proc = subprocess.Popen(
            [exe, "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=subprocess.DEVNULL, stderr=self.log, env=env, start_new_session=True,
        )
        servers.append(self)  # stopped by main's `finally`, even if it never gets ready
        deadline = started + 30
        while True:
            if self.proc.poll() is not None:
                raise BenchError(f"moto_server exited with {self.proc.returncode}; see {self.log_path}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    break
            except OSError:
                if time.perf_counter() > deadline:
                    raise BenchError(f"moto_server not listening on {self.port} after 30 s")
                time.sleep(0.05)
        self.ready_s = time.perf_counter() - started

    def requests(self) -> int:
        """Requests moto has answered so far (its werkzeug log, one line each)."""
        time.sleep(0.15)  # the log line is written just after the response is sent
        with open(self.log_path) as f:
            return sum(1 for line in f if REQUEST_LINE.search(line))

    def stop(self) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log.close()


class Side:
    """A moto server, its own AWS files and an admin (the operator) on it."""

    def __init__(self, name: str, root: Path, tools: dict[str, str], servers: list[Moto]):
        self.name = name
        self.dir = root / name
        self.dir.mkdir()
        self.tools = tools
        self.env = clean_env(self.dir)
        self.profiles = Profiles(self.dir)
        self.moto = Moto(tools["moto_server"], self.dir, name, servers)
        self.calls = 0  # aws CLI processes started
        # Three unauthenticated requests: CreateUser, PutUserPolicy, CreateAccessKey.
        self.profiles.set("default", "AKIAIOSFODNN7EXAMPLE", "dummy-secret")
        self.aws("iam", "create-user", "--user-name", "admin")
        self.aws("iam", "put-user-policy", "--user-name", "admin", "--policy-name", "admin",
                 "--policy-document", ADMIN_POLICY)
        key = self.aws("iam", "create-access-key", "--user-name", "admin")["AccessKey"]
        self.profiles.set("default", key["AccessKeyId"], key["SecretAccessKey"])
        who = self.aws("sts", "get-caller-identity")
        check(who["Arn"].endswith(":user/admin"), f"operator is {who['Arn']}, not admin")
        self.calls = 0

    def aws(self, *args: str, profile: str | None = None, expect: str | None = None):
        """One aws CLI process. `expect` is an error code the call must fail with."""
        cmd = [self.tools["aws"], "--endpoint-url", self.moto.url, "--output", "json", *args]
        if profile:
            cmd += ["--profile", profile]
        self.calls += 1
        done = subprocess.run(cmd, capture_output=True, text=True, env=self.env)
        shown = " ".join(args[:2])
        if expect:
            check(done.returncode != 0, f"`aws {shown}` succeeded; expected {expect}")
            check(f"({expect})" in done.stderr,
                  f"`aws {shown}` failed without {expect}: {done.stderr.strip()}")
            return None
        check(done.returncode == 0,
              f"`aws {shown}` exited {done.returncode}: {done.stderr.strip()}")
        return json.loads(done.stdout) if done.stdout.strip() else None

    def assert_empty(self) -> None:
        """After teardown nothing of the lab is left on moto (only the admin)."""
        users = [u["UserName"] for u in self.aws("iam", "list-users")["Users"]]
        check(users == ["admin"], f"{self.name}: users left on moto: {users}")
        roles = [r["RoleName"] for r in self.aws("iam", "list-roles")["Roles"]]
        check(roles == [], f"{self.name}: roles left on moto: {roles}")
        buckets = [b["Name"] for b in self.aws("s3api", "list-buckets").get("Buckets", [])]
        check(buckets == [], f"{self.name}: buckets left on moto: {buckets}")
        stacks = self.aws("cloudformation", "list-stacks")["StackSummaries"]
        live = [s["StackName"] for s in stacks if s["StackStatus"] != "DELETE_COMPLETE"]
        check(live == [], f"{self.name}: stacks left on moto: {live}")
        for name in ("sts", "assumed"):
            check(not self.profiles_have(name), f"{self.name}: profile `{name}` left behind")

    def profiles_have(self, name: str) -> bool:
        parser = configparser.RawConfigParser()
        parser.read(self.profiles.credentials)
        return parser.has_section(name)


# --------------------------------------------------------------------------- awslab


def run_awslab(side: Side, args: list[str]) -> dict:
    """Runs awslab with --output json; returns wall time, exit code, events with arrival times."""
    cmd = [side.tools["awslab"], *args]
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=side.env, cwd=REPO)
    events = []
    assert proc.stdout is not None
    for line in proc.stdout:
        at = time.perf_counter() - started
        line = line.strip()
        if line.startswith("{"):
            event = json.loads(line)
            event["_at"] = at
            events.append(event)
    stderr = proc.stderr.read() if proc.stderr else ""
    code = proc.wait()
    wall = time.perf_counter() - started
    return {"wall": wall, "code": code, "events": events, "stderr": stderr}


def awslab_once(side: Side, run_id: str, parallel: int) -> dict:
    state = str(side.dir / "state")
    before = side.moto.requests()
    up = run_awslab(side, ["up", PLAN, "--endpoint-url", side.moto.url, "--run-id", run_id,
                           "--state-dir", state, "--parallel", str(parallel), "--output", "json"])
    mid = side.moto.requests()
    check(up["code"] == 0, f"awslab up {run_id} exited {up['code']}: {up['stderr']}")
    summary = [e for e in up["events"] if e.get("event") == "summary"]
    check(len(summary) == 1 and summary[0]["succeeded"], f"awslab up {run_id}: no successful summary")
    steps = summary[0]["steps"]
    verifies = [s for s in steps if s["kind"] == "verify"]
    check(len(verifies) == 5 and all(s["status"] == "succeeded" for s in verifies),
          f"awslab up {run_id}: verifications {[(s['step'], s['status']) for s in verifies]}")
    check(all(s["status"] == "succeeded" for s in steps), f"awslab up {run_id}: a step did not succeed")
    finished_ok = [e for e in up["events"]
                   if e.get("event") == "finished" and e["status"] == "succeeded"]
    check(len(finished_ok) == len(steps), f"awslab up {run_id}: {len(finished_ok)} steps finished")
    check(side.profiles_have("assumed"), f"awslab up {run_id}: no `assumed` profile written")
    down = run_awslab(side, ["down", run_id, "--state-dir", state, "--output", "json"])
    after = side.moto.requests()
    check(down["code"] == 0, f"awslab down {run_id} exited {down['code']}: {down['stderr']}")
    teardown = [e for e in down["events"] if e.get("event") == "teardown"]
    check(len(teardown) == 1 and teardown[0]["left"] == [] and teardown[0]["deleted"],
          f"awslab down {run_id}: {teardown}")
    check(not side.profiles_have("assumed"), f"awslab down {run_id}: `assumed` profile left")
    finished = {e["step"]: e for e in up["events"] if e.get("event") == "finished"}
    started_at = [e["_at"] for e in up["events"] if e.get("event") == "started"]
    run_event = [e["_at"] for e in up["events"] if e.get("event") == "run"]
    return {
        "up": up["wall"],
        "down": down["wall"],
        "steps": len(steps),
        "step_ms": {s: e["elapsed_ms"] for s, e in finished.items()},
        "settle_ms": {s["step"]: s["settle_ms"] for s in steps if s.get("settle_ms")},
        "retries": sum(1 for e in up["events"] if e.get("event") == "retrying"),
        "t_run_event": run_event[0] if run_event else None,
        "t_first_start": min(started_at) if started_at else None,
        "t_last_finish": max(e["_at"] for e in finished.values()) if finished else None,
        "calls_up": mid - before,
        "calls_down": after - mid,
        "deleted": len(teardown[0]["deleted"]),
    }


def awslab_warmup(side: Side) -> None:
    """Untimed; human output, checked for the summary line people read."""
    state = str(side.dir / "state")
    up = subprocess.run([side.tools["awslab"], "up", PLAN, "--endpoint-url", side.moto.url,
                         "--run-id", "warmup", "--state-dir", state],
                        capture_output=True, text=True, env=side.env, cwd=REPO)
    check(up.returncode == 0, f"awslab up (warm-up) exited {up.returncode}:\n{up.stdout}\n{up.stderr}")
    check("5 of 5 verifications passed" in up.stdout,
          f"awslab up (warm-up): no `5 of 5 verifications passed`:\n{up.stdout}")
    down = subprocess.run([side.tools["awslab"], "down", "warmup", "--state-dir", state],
                          capture_output=True, text=True, env=side.env, cwd=REPO)
    check(down.returncode == 0 and "Nothing is left." in down.stdout,
          f"awslab down (warm-up) exited {down.returncode}:\n{down.stdout}\n{down.stderr}")


def time_command(side: Side, args: list[str], times: int) -> list[float]:
    """Wall times of an awslab command that touches no AWS endpoint."""
    out = []
    for _ in range(times):
        started = time.perf_counter()
        done = subprocess.run([side.tools["awslab"], *args], capture_output=True, text=True,
                              env=side.env, cwd=REPO)
        out.append(time.perf_counter() - started)
        check(done.returncode == 0, f"awslab {' '.join(args)} exited {done.returncode}: {done.stderr}")
    return out


# --------------------------------------------------------------------------- runbook


def runbook_once(side: Side, tag: str) -> dict:
    """Seeds 000-003 by hand: one aws process a call, profiles edited in the files."""
    user, bucket, stack = f"sts-lab-user-{tag}", f"sts-lab-{tag}", f"sts-lab-{tag}"
    policy_file = side.dir / f"policy-{tag}.json"
    side.calls = 0
    requests_before = side.moto.requests()

    started = time.perf_counter()
    arn = side.aws("iam", "create-user", "--user-name", user)["User"]["Arn"]
    key = side.aws("iam", "create-access-key", "--user-name", user)["AccessKey"]
    side.profiles.set("sts", key["AccessKeyId"], key["SecretAccessKey"])
    who = side.aws("sts", "get-caller-identity", profile="sts")
    check(who["Arn"] == arn, f"runbook: sts profile is {who['Arn']}, not {arn}")
    side.aws("s3api", "list-buckets", profile="sts", expect="AccessDenied")
    side.aws("cloudformation", "create-stack", "--stack-name", stack,
             "--template-body", f"file://{TEMPLATE}",
             "--parameters", f"ParameterKey=UserArn,ParameterValue={arn}",
             f"ParameterKey=BucketName,ParameterValue={bucket}",
             "--capabilities", "CAPABILITY_IAM")
    side.aws("cloudformation", "wait", "stack-create-complete", "--stack-name", stack)
    described = side.aws("cloudformation", "describe-stacks", "--stack-name", stack)
    outputs = {o["OutputKey"]: o["OutputValue"] for o in described["Stacks"][0]["Outputs"]}
    role_arn, bucket_name = outputs["RoleArn"], outputs["BucketName"]
    policy_file.write_text(json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": role_arn}]}))
    side.aws("iam", "put-user-policy", "--user-name", user, "--policy-name", "StsAssumePolicy",
             "--policy-document", f"file://{policy_file}")
    creds = side.aws("sts", "assume-role", "--role-arn", role_arn, "--role-session-name", SESSION,
                     profile="sts")["Credentials"]
    side.profiles.set("assumed", creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])
    who = side.aws("sts", "get-caller-identity", profile="assumed")
    check(re.fullmatch(rf"arn:aws:sts::\d+:assumed-role/[^/]+/{SESSION}", who["Arn"]) is not None,
          f"runbook: assumed profile is {who['Arn']}")
    side.aws("s3api", "list-objects-v2", "--bucket", bucket_name, profile="assumed")
    side.aws("s3api", "list-objects-v2", "--bucket", bucket_name, profile="sts", expect="AccessDenied")
    provisioned = time.perf_counter()
    provision_calls = side.calls

    side.aws("cloudformation", "delete-stack", "--stack-name", stack)
    side.aws("cloudformation", "wait", "stack-delete-complete", "--stack-name", stack)
    side.aws("iam", "delete-user-policy", "--user-name", user, "--policy-name", "StsAssumePolicy")
    side.aws("iam", "delete-access-key", "--user-name", user, "--access-key-id", key["AccessKeyId"])
    side.aws("iam", "delete-user", "--user-name", user)
    side.profiles.remove("sts")
    side.profiles.remove("assumed")
    policy_file.unlink()
    cleaned = time.perf_counter()
    requests_after = side.moto.requests()
    return {
        "provision": provisioned - started,
        "cleanup": cleaned - provisioned,
        "processes_provision": provision_calls,
        "processes_cleanup": side.calls - provision_calls,
        "requests": requests_after - requests_before,
    }


# --------------------------------------------------------------------------- report


def machine_facts(tools: dict[str, str]) -> dict[str, str]:
    model = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    aws = subprocess.run([tools["aws"], "--version"], capture_output=True, text=True)
    awslab = subprocess.run([tools["awslab"], "--version"], capture_output=True, text=True)
    moto = "?"
    with open(tools["moto_server"], "rb") as f:
        first = f.readline().decode(errors="replace").strip()
    if first.startswith("#!"):
        got = subprocess.run([first[2:].strip(), "-c", "import moto; print(moto.__version__)"],
                             capture_output=True, text=True)
        moto = got.stdout.strip() or "?"
    # The binary is whatever was last built in the shared target dir: name it by its
    # hash and build time; the checkout's HEAD now is only a hint.
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True, cwd=REPO).stdout.strip() or "?"
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "crates"],
                           capture_output=True, text=True, cwd=REPO).stdout.strip()
    if dirty:
        commit += " with uncommitted changes in crates/"
    binary = Path(tools["awslab"])
    digest = hashlib.sha256(binary.read_bytes()).hexdigest()[:12]
    built = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(binary.stat().st_mtime))
    load = os.getloadavg()
    return {
        "cpu": f"nproc {len(os.sched_getaffinity(0))}, {model}",
        "os": f"{platform.system()} {platform.release()}",
        "load": f"{load[0]:.2f} at start",
        "python": platform.python_version(),
        "moto": moto,
        "awscli": (aws.stdout or aws.stderr).strip(),
        "awslab": f"{awslab.stdout.strip()} (release binary built {built}, sha256 {digest}...; "
                  f"checkout HEAD when benchmarked: {commit})",
        "aws_exe": tools["aws"],
    }


def fmt(seconds: float) -> str:
    return f"{seconds:.2f} s" if seconds >= 1 else f"{seconds * 1000:.0f} ms"


def report(a: list[dict], a1: list[dict], b: list[dict], startup: dict[str, list[float]],
           facts: dict[str, str], repeat: int, readiness: float) -> str:
    med, low = statistics.median, min

    def row(name: str, values: list[float]) -> str:
        return f"| {name} | {fmt(med(values))} | {fmt(low(values))} |"

    up = [r["up"] for r in a]
    down = [r["down"] for r in a]
    lab = [r["up"] + r["down"] for r in a]
    prov = [r["provision"] for r in b]
    clean = [r["cleanup"] for r in b]
    book = [r["provision"] + r["cleanup"] for r in b]
    steps = a[0]["steps"]
    load = os.getloadavg()
    lines = [
        f"Machine: {facts['cpu']}, {facts['os']}, 1-minute load average {facts['load']}, "
        f"{load[0]:.2f} at the end; "
        f"moto {facts['moto']}; {facts['awscli']} (`{facts['aws_exe']}`); {facts['awslab']}.",
        "",
        f"{repeat} timed repetitions per side after one untimed warm-up each, interleaved "
        "(awslab `--parallel 4`, runbook, awslab `--parallel 1`, the two awslab runs swapping "
        "places every other repetition); each side on its own moto_server.",
        "",
        "| what | median | min |",
        "|---|---:|---:|",
        row("awslab up (`--parallel 4`, the default)", up),
        row("awslab down", down),
        row("awslab up + down", lab),
        row("runbook provision + verify (aws CLI)", prov),
        row("runbook cleanup (aws CLI)", clean),
        row("runbook total (aws CLI)", book),
        f"| **ratio: runbook total / awslab up + down** | **{med(book) / med(lab):.1f}x** "
        f"| {low(book) / low(lab):.1f}x |",
        f"| ratio: runbook provision + verify / awslab up | {med(prov) / med(up):.1f}x "
        f"| {low(prov) / low(up):.1f}x |",
        "",
        "Baseline: the seed runbook with the aws CLI, one process a call.",
        "",
    ]
    aws_processes = b[0]["processes_provision"] + b[0]["processes_cleanup"]
    calls_up = sorted({r["calls_up"] for r in a})
    calls_down = sorted({r["calls_down"] for r in a})
    runbook_requests = sorted({r["requests"] for r in b})
    lines += [
        "AWS calls (HTTP requests answered by moto, counted in its request log):",
        "",
        "| side | requests |",
        "|---|---:|",
        f"| awslab up | {'/'.join(map(str, calls_up))} |",
        f"| awslab down | {'/'.join(map(str, calls_down))} |",
        f"| runbook (all) | {'/'.join(map(str, runbook_requests))} from {aws_processes} aws processes "
        f"({b[0]['processes_provision']} provision + verify, {b[0]['processes_cleanup']} cleanup) |",
        "",
    ]
    per_call = med(book) / aws_processes
    # Overhead with --parallel 1: everything of `up` that is not inside a step.
    outside = [r["up"] - sum(r["step_ms"].values()) / 1000 for r in a1]
    step_sum = [sum(r["step_ms"].values()) / 1000 for r in a1]
    before_steps = [r["t_first_start"] for r in a1 if r["t_first_start"] is not None]
    after_steps = [r["up"] - r["t_last_finish"] for r in a1 if r["t_last_finish"] is not None]
    up1 = [r["up"] for r in a1]
    per_step_ms = {}
    for r in a1:
        for s, ms in r["step_ms"].items():
            per_step_ms.setdefault(s, []).append(ms)
    lines += [
        f"awslab's own overhead (`up --parallel 1`, {len(a1)} runs, {steps} steps):",
        "",
        "| what | median | min |",
        "|---|---:|---:|",
        row("awslab up --parallel 1, wall", up1),
        row("sum of the steps' elapsed_ms (each truncated to whole ms)", step_sum),
        row("wall minus steps (outside any step)", outside),
        f"| **overhead per step** (wall minus steps, / {steps}) | "
        f"**{fmt(med(outside) / steps)}** | {fmt(low(outside) / steps)} |",
        row("spawn to first `started` event", before_steps),
        row("last `finished` event to exit", after_steps),
    ]
    for name, args in (("awslab --version", "version"), ("awslab validate PLAN", "validate"),
                       ("awslab plan PLAN", "plan")):
        lines.append(row(name, startup[args]))
    lines += [
        "",
        f"For comparison: one aws CLI process costs about {fmt(per_call)} here "
        f"(runbook total / {aws_processes} processes); moto_server was ready in {fmt(readiness)}.",
        "",
        "Median elapsed_ms per step (`--parallel 1`):",
        "",
        "| step | ms |",
        "|---|---:|",
    ]
    for s, values in per_step_ms.items():
        lines.append(f"| {s} | {med(values):.0f} |")
    settles = [r["settle_ms"] for r in a + a1 if r["settle_ms"]]
    retries = sum(r["retries"] for r in a + a1)
    lines += ["", f"Retries during timed runs: {retries}; settle waits reported: {settles or 'none'}."]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5, help="timed repetitions per side (default 5)")
    parser.add_argument("--awslab", default=str(REPO / "target" / "release" / "awslab"),
                        help="the awslab binary (default: target/release/awslab)")
    parser.add_argument("--aws", help="the aws CLI (default: `aws` on PATH, looked up through pyenv shims)")
    parser.add_argument("--moto-server", help="moto_server (default: on PATH)")
    parser.add_argument("--raw", help="also write every measurement as JSON to this file")
    opts = parser.parse_args()
    if opts.repeat < 1:
        parser.error("--repeat must be at least 1")
    if not os.access(opts.awslab, os.X_OK):
        sys.exit(f"error: {opts.awslab} not built; run `cargo build --release -p awslab-cli`")
    tools = {"awslab": opts.awslab, "aws": resolve_tool("aws", opts.aws),
             "moto_server": resolve_tool("moto_server", opts.moto_server)}

    def stop(signum, _frame):
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGHUP, stop)
    servers: list[Moto] = []
    root = Path(tempfile.mkdtemp(prefix="awslab-bench-"))
    try:
        # A private copy: other people's `cargo build` cannot swap the binary mid-run.
        (root / "bin").mkdir()
        tools["awslab"] = shutil.copy2(tools["awslab"], root / "bin" / "awslab")
        facts = machine_facts(tools)
        lab = Side("awslab", root, tools, servers)
        book = Side("runbook", root, tools, servers)
        readiness = statistics.median(m.ready_s for m in servers)
        print(f"moto for awslab at {lab.moto.url}, for the runbook at {book.moto.url}", file=sys.stderr)

        awslab_warmup(lab)
        runbook_once(book, "w0")
        a, a1, b = [], [], []
        for i in range(1, opts.repeat + 1):
            # The awslab run just after the runbook starts ~20 ms slower (the CPU was
            # busy with Python); alternate which awslab variant gets that slot.
            first, last = (4, 1) if i % 2 else (1, 4)
            runs = {first: awslab_once(lab, f"b{i}-{first}", first)}
            b.append(runbook_once(book, f"r{i}"))
            runs[last] = awslab_once(lab, f"b{i}-{last}", last)
            a.append(runs[4])
            a1.append(runs[1])
            print(f"rep {i}/{opts.repeat}: awslab {a[-1]['up'] + a[-1]['down']:.2f} s, "
                  f"runbook {b[-1]['provision'] + b[-1]['cleanup']:.2f} s", file=sys.stderr)
        lab.assert_empty()
        book.assert_empty()
        times = max(10, opts.repeat)
        startup = {
            "version": time_command(lab, ["--version"], times),
            "validate": time_command(lab, ["validate", PLAN], times),
            "plan": time_command(lab, ["plan", PLAN], times),
        }
        print(report(a, a1, b, startup, facts, opts.repeat, readiness))
        if opts.raw:
            Path(opts.raw).write_text(json.dumps(
                {"facts": facts, "awslab": a, "awslab_parallel1": a1, "runbook": b,
                 "startup": startup}, indent=1))
        return 0
    except BenchError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    finally:
        for server in servers:
            server.stop()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
