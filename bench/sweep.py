#!/usr/bin/env python3
"""Issue 19's sweep benchmark: `awslab sweep` on a sandbox holding RUNS runs of 10
tagged resources each (4 IAM users, 2 roles, 2 managed policies, 2 buckets; 1,000 runs
is 10,000 resources), the time to list them (`awslab sweep`, a dry run) and to delete
them (`awslab sweep --yes`), against a named baseline measured in the same run:
"`awslab down` of runs of the same shape from their journals" (K runs of
bench/sweep-run.yaml made by `awslab up`, each `down` timed as a whole process),
compared per resource.

The swept runs are made by tags alone, as a run whose journal is gone looks: boto3
over `awslab sandbox serve` on a free loopback port creates each resource with
awslab's tags (8 threads). Nothing touches ~/.aws: AWS_CONFIG_FILE,
AWS_SHARED_CREDENTIALS_FILE, AWSLAB_STATE_DIR and AWSLAB_SANDBOX_DIR point into a
temporary folder, removed at the end.

    cargo build -p awslab-cli
    python3 bench/sweep.py [--awslab target/debug/awslab] [--runs 1000] [--journaled 10]

Needs boto3.
"""

import argparse
import concurrent.futures
import json
import os
import socket
import subprocess
import sys
import tempfile
import time

import boto3
from botocore.config import Config

PLAN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sweep-run.yaml")
TRUST = json.dumps({
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                   "Action": "sts:AssumeRole"}],
})
DOCUMENT = json.dumps({
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"}],
})


def environment(folder):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and k != "RUST_LOG"}
    env.update({
        "AWS_CONFIG_FILE": os.path.join(folder, "config"),
        "AWS_SHARED_CREDENTIALS_FILE": os.path.join(folder, "credentials"),
        "AWSLAB_STATE_DIR": os.path.join(folder, "state"),
        "AWSLAB_SANDBOX_DIR": os.path.join(folder, "sandbox"),
        "NO_COLOR": "1",
    })
    return env


def run(awslab, args, env, ok=(0,)):
    start = time.perf_counter()
    done = subprocess.run([awslab, *args], env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode not in ok:
        sys.exit(f"`awslab {' '.join(args)}` exited {done.returncode}:\n{done.stdout}\n{done.stderr}")
    return elapsed, done


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def populate(awslab, env, runs):
    port = free_port()
    serve = subprocess.Popen([awslab, "sandbox", "serve", "--port", str(port)], env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _, out = run(awslab, ["sandbox", "env"], env)
        keys = dict(line.removeprefix("export ").split("=", 1)
                    for line in out.stdout.splitlines() if line.startswith("export AWS_"))
        keys = {k: v.strip("'") for k, v in keys.items()}
        session = boto3.session.Session(
            aws_access_key_id=keys["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=keys["AWS_SECRET_ACCESS_KEY"], region_name="us-east-1")
        config = Config(retries={"max_attempts": 10, "mode": "standard"},
                        s3={"addressing_style": "path"})
        url = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        iam = session.client("iam", endpoint_url=url, config=config)
        s3 = session.client("s3", endpoint_url=url, config=config)

        def one(index):
            run_id = f"s{index:05d}"
            tags = [{"Key": "awslab:run", "Value": run_id},
                    {"Key": "awslab:plan", "Value": "sweep-bench"},
                    {"Key": "awslab:created-at", "Value": "2026-01-01T00:00:00Z"}]
            for n in range(1, 5):
                iam.create_user(UserName=f"bench-{run_id}-u{n}", Tags=tags)
            for n in range(1, 3):
                iam.create_role(RoleName=f"bench-{run_id}-r{n}", AssumeRolePolicyDocument=TRUST,
                                Tags=tags)
                iam.create_policy(PolicyName=f"bench-{run_id}-p{n}", PolicyDocument=DOCUMENT,
                                  Tags=tags)
                bucket = f"bench-{run_id}-b{n}"
                s3.create_bucket(Bucket=bucket)
                s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": tags})

        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            list(pool.map(one, range(runs)))
    finally:
        serve.terminate()
        serve.wait()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--awslab", default="target/debug/awslab")
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--journaled", type=int, default=10)
    args = parser.parse_args()
    awslab = os.path.abspath(args.awslab)
    with tempfile.TemporaryDirectory() as folder:
        env = environment(folder)
        # Baseline: `down` of runs made by `up`, from their journals.
        for n in range(args.journaled):
            run(awslab, ["up", PLAN, "--run-id", f"j{n}", "--target", "sandbox", "--output", "json"], env)
        down = 0.0
        for n in range(args.journaled):
            elapsed, done = run(awslab, ["down", f"j{n}"], env)
            assert "Nothing is left." in done.stdout, done.stdout
            down += elapsed
        started = time.perf_counter()
        populate(awslab, env, args.runs)
        filled = time.perf_counter() - started
        listed, done = run(awslab, ["sweep", "--output", "json"], env, ok=(3,))
        found = len(json.loads(done.stdout)["resources"])
        assert found == args.runs * 10, found
        swept, done = run(awslab, ["sweep", "--yes"], env)
        assert f"Sweep: {found} deleted, 0 left." in done.stdout, done.stdout[-500:]
        again, done = run(awslab, ["sweep"], env)
        resources = args.runs * 10
        baseline = down / (args.journaled * 10)
        print(f"filled {resources} resources of {args.runs} runs in {filled:.1f} s (boto3, 8 threads)")
        print()
        print("| what | resources | total | per resource | ratio to baseline |")
        print("| --- | --- | --- | --- | --- |")
        print(f"| baseline: `down` of {args.journaled} runs from their journals | {args.journaled * 10} | {down:.2f} s | {baseline * 1000:.1f} ms | 1.00x |")
        print(f"| `sweep` (list, dry run) | {resources} | {listed:.2f} s | {listed / resources * 1000:.2f} ms | {listed / resources / baseline:.2f}x |")
        print(f"| `sweep --yes` (list and delete) | {resources} | {swept:.2f} s | {swept / resources * 1000:.2f} ms | {swept / resources / baseline:.2f}x |")
        print(f"| `sweep` again (nothing left) | 0 | {again:.2f} s | | |")


if __name__ == "__main__":
    main()
