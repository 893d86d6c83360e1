#!/usr/bin/env python3
"""Issue 18's "big world" measurement: the seed lab's `up` and `down`
(plans/sts-assume-role.yaml, on the default target, the embedded sandbox) and
`awslab sandbox status`, each timed with its peak RSS (`/usr/bin/time -v`), in an
empty world and in a world holding USERS more IAM users, in the same run.

The users are written straight into the sandbox's `sandbox.db` (one row each, as the
sandbox keeps a user: kind `user`, scoped by the account), stamped as one new version,
so filling takes a second instead of USERS CreateUser calls; the sandbox then reads
them as it reads any row.

Nothing touches ~/.aws: AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE, AWSLAB_STATE_DIR
and AWSLAB_SANDBOX_DIR point into a temporary folder per world, removed at the end.

    cargo build --release -p awslab-cli
    python3 scripts/big-world.py [--awslab target/release/awslab] [--users 10000] [--repeat 3]

Python 3 standard library only.
"""

import argparse
import json
import os
import re
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time

ACCOUNT = "111122223333"
PLAN = "plans/sts-assume-role.yaml"


def environment(folder):
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("AWS_") and key != "RUST_LOG"
    }
    env.update(
        AWS_CONFIG_FILE=os.path.join(folder, "config"),
        AWS_SHARED_CREDENTIALS_FILE=os.path.join(folder, "credentials"),
        AWSLAB_STATE_DIR=os.path.join(folder, "state"),
        AWSLAB_SANDBOX_DIR=os.path.join(folder, "sandbox"),
    )
    return env


def timed(command, env):
    """Runs `command` under /usr/bin/time -v: (seconds, peak RSS in MiB)."""
    started = time.monotonic()
    done = subprocess.run(
        ["/usr/bin/time", "-v", *command],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        check=False,
    )
    seconds = time.monotonic() - started
    if done.returncode != 0:
        sys.exit(f"error: {' '.join(command)} exited {done.returncode}:\n{done.stderr}")
    found = re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr)
    if not found:
        sys.exit(f"error: no peak RSS in /usr/bin/time's output:\n{done.stderr}")
    return seconds, int(found.group(1)) / 1024


def add_users(database, count):
    """Writes `count` users into the sandbox's database as one new version."""
    connection = sqlite3.connect(database)
    with connection:
        (version,) = connection.execute("SELECT version FROM meta WHERE id = 0").fetchone()
        version += 1
        now = int(time.time())
        rows = []
        for index in range(count):
            name = f"bench-user-{index:05}"
            user = {
                "name": name,
                "path": "/",
                "id": f"AIDABENCH{index:012d}",
                "arn": f"arn:aws:iam::{ACCOUNT}:user/{name}",
                "created": now,
                "tags": [],
                "inline_policies": {},
                "attached": [],
                "access_keys": [],
                "permissions_boundary": None,
            }
            rows.append(("user", ACCOUNT, name, version, json.dumps(user)))
        connection.executemany(
            "INSERT INTO entities (kind, scope, key, version, data) VALUES (?, ?, ?, ?, ?)",
            rows,
        )
        connection.execute("UPDATE meta SET version = ? WHERE id = 0", (version,))
    connection.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--awslab", default="target/release/awslab")
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    arguments = parser.parse_args()
    awslab = os.path.abspath(arguments.awslab)
    if not os.access(awslab, os.X_OK):
        sys.exit(f"error: {awslab} is not built (cargo build --release -p awslab-cli)")
    os.chdir(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

    worlds = {"empty": 0, f"{arguments.users:,} users": arguments.users}
    results = {world: {} for world in worlds}
    with tempfile.TemporaryDirectory() as root:
        envs = {}
        for world, users in worlds.items():
            folder = os.path.join(root, str(users))
            os.makedirs(folder)
            envs[world] = environment(folder)
            # Makes the world (not measured).
            timed([awslab, "sandbox", "status"], envs[world])
            if users:
                add_users(os.path.join(folder, "sandbox", "sandbox.db"), users)
        for round_ in range(arguments.repeat):
            # Interleaved, so both worlds see the same machine.
            for world in worlds:
                env = envs[world]
                run = f"bench-{round_}"
                for label, command in [
                    ("sandbox status", [awslab, "sandbox", "status"]),
                    ("up (seed lab)", [awslab, "up", PLAN, "--run-id", run]),
                    ("down", [awslab, "down", run]),
                ]:
                    results[world].setdefault(label, []).append(timed(command, env))
    print(
        f"awslab {awslab}, median of {arguments.repeat} "
        f"(seconds wall clock, peak RSS MiB)\n"
    )
    names = list(worlds)
    print(f"| command | {names[0]} | {names[1]} | ratio (time, RSS) |")
    print("| --- | --- | --- | --- |")
    for label in results[names[0]]:
        cells = []
        medians = []
        for world in names:
            seconds = statistics.median(run[0] for run in results[world][label])
            rss = statistics.median(run[1] for run in results[world][label])
            medians.append((seconds, rss))
            cells.append(f"{seconds:.3f} s, {rss:.0f} MiB")
        ratio = (
            f"{medians[1][0] / medians[0][0]:.2f}x, "
            f"{medians[1][1] / medians[0][1]:.2f}x"
        )
        print(f"| `{label}` | {cells[0]} | {cells[1]} | {ratio} |")


if __name__ == "__main__":
    main()
