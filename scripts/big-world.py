#!/usr/bin/env python3
"""Issue 18's "big world" measurement: the seed lab's `up` and `down`
(plans/sts-assume-role.yaml, on the default target, the embedded sandbox) and
`awslab sandbox status`, each timed with its peak RSS (`/usr/bin/time -v`), in an
empty world and in a world holding USERS more IAM users, in the same run; with
`--objects N`, also in a third world holding the USERS users and N objects of 60 MB
(17 objects: 1.02 GB), put through `awslab sandbox serve` with boto3 (stopped by pid
before the measurements).

The users are written straight into the sandbox's `sandbox.db` (one row each, as the
sandbox keeps a user: kind `user`, scoped by the account), stamped as one new version,
so filling takes a second instead of USERS CreateUser calls; the sandbox then reads
them as it reads any row.

Nothing touches ~/.aws: AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE, AWSLAB_STATE_DIR
and AWSLAB_SANDBOX_DIR point into a temporary folder per world, removed at the end.

    cargo build --release -p awslab-cli
    python3 scripts/big-world.py [--awslab target/release/awslab] [--users 10000] [--repeat 3] [--objects 17]

Python 3 standard library only, and boto3 for --objects.
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


def add_objects(awslab, env, count, size=60_000_000):
    """Puts `count` objects of `size` random bytes into bucket `bodies` through
    `awslab sandbox serve` on this world (the operator's keys), then stops serve."""
    import boto3  # only for --objects

    served = subprocess.Popen(
        [awslab, "sandbox", "serve", "--port", "0"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        endpoint = None
        for line in served.stdout:
            if line.startswith("awslab sandbox listening on "):
                endpoint = line.split()[-1]
                break
        if endpoint is None:
            sys.exit("error: sandbox serve did not start")
        exports = subprocess.run(
            [awslab, "sandbox", "env", "--port", endpoint.rsplit(":", 1)[1]],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        keys = dict(re.findall(r"^export (AWS_[A-Z_]+)='(.*)'$", exports, re.M))
        s3 = boto3.client(
            "s3",
            region_name="us-east-1",
            endpoint_url=endpoint,
            aws_access_key_id=keys["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=keys["AWS_SECRET_ACCESS_KEY"],
        )
        s3.create_bucket(Bucket="bodies")
        body = os.urandom(size)
        for index in range(count):
            s3.put_object(Bucket="bodies", Key=f"object-{index}", Body=body)
    finally:
        served.terminate()
        served.wait(timeout=30)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--awslab", default="target/release/awslab")
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--objects", type=int, default=0, help="60 MB objects in a third world")
    arguments = parser.parse_args()
    awslab = os.path.abspath(arguments.awslab)
    if not os.access(awslab, os.X_OK):
        sys.exit(f"error: {awslab} is not built (cargo build --release -p awslab-cli)")
    os.chdir(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

    worlds = {"empty": (0, 0), f"{arguments.users:,} users": (arguments.users, 0)}
    if arguments.objects:
        gigabytes = arguments.objects * 60_000_000 / 1e9
        worlds[f"{arguments.users:,} users + {gigabytes:.2f} GB"] = (
            arguments.users,
            arguments.objects,
        )
    results = {world: {} for world in worlds}
    with tempfile.TemporaryDirectory() as root:
        envs = {}
        for number, (world, (users, objects)) in enumerate(worlds.items()):
            folder = os.path.join(root, str(number))
            os.makedirs(folder)
            envs[world] = environment(folder)
            # Makes the world (not measured).
            timed([awslab, "sandbox", "status"], envs[world])
            if objects:
                add_objects(awslab, envs[world], objects)
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
    header = " | ".join(f"{name} | ratio (time, RSS)" for name in names[1:])
    print(f"| command | {names[0]} | {header} |")
    print("| --- " * (2 * len(names)) + "|")
    for label in results[names[0]]:
        cells = []
        medians = []
        for world in names:
            seconds = statistics.median(run[0] for run in results[world][label])
            rss = statistics.median(run[1] for run in results[world][label])
            medians.append((seconds, rss))
            cells.append(f"{seconds:.3f} s, {rss:.0f} MiB")
        for index in range(1, len(names)):
            cells[index] += (
                f" | {medians[index][0] / medians[0][0]:.2f}x, "
                f"{medians[index][1] / medians[0][1]:.2f}x"
            )
        print(f"| `{label}` | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
