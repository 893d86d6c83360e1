#!/usr/bin/env python3
"""`awslab sandbox serve` as a whole process: spawn to the first answer over loopback.

    python3 bench/serve_startup.py [AWSLAB_BINARY] [--runs N]

Each run starts `awslab sandbox serve --port 0` on a new state folder (so it creates
and seeds its SQLite database) and on the folder of the previous run (an existing
world), reads the "listening on" line, sends one request (an unsigned S3 ListBuckets,
which the sandbox authenticates as anonymous, authorizes and answers AccessDenied, as
AWS does) and times spawn to the end of that answer. The server is stopped by pid.
Standard library only; never reads ~/.aws. Prints each run and the medians in ms.
"""

from __future__ import annotations

import argparse
import http.client
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def one(binary: str, state: Path) -> float:
    start = time.perf_counter()
    server = subprocess.Popen(
        [binary, "sandbox", "serve", "--port", "0", "--state-dir", str(state)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "NO_COLOR": "1"},
    )
    try:
        assert server.stdout is not None
        line = server.stdout.readline().decode()
        prefix = "awslab sandbox listening on http://"
        if not line.startswith(prefix):
            raise SystemExit(f"unexpected first line: {line!r}")
        host, port = line[len(prefix):].strip().rsplit(":", 1)
        connection = http.client.HTTPConnection(host, int(port), timeout=10)
        connection.request("GET", "/", headers={"Host": f"{host}:{port}"})
        answer = connection.getresponse()
        body = answer.read()
        elapsed = time.perf_counter() - start
        if answer.status != 403 or b"AccessDenied" not in body:
            raise SystemExit(f"unexpected answer {answer.status}: {body[:200]!r}")
        return elapsed * 1000
    finally:
        server.kill()
        server.wait()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("binary", nargs="?")
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    binary = args.binary or next(
        str(path)
        for path in (REPO / "target/release/awslab", REPO / "target/debug/awslab")
        if path.exists()
    )
    new, existing = [], []
    with tempfile.TemporaryDirectory() as work:
        for index in range(args.runs):
            folder = Path(work) / f"s{index}"
            new.append(one(binary, folder))
            existing.append(one(binary, folder))
    print(f"binary: {binary}")
    print("new folder ms:      " + ", ".join(f"{t:.1f}" for t in new)
          + f" (median {statistics.median(new):.1f})")
    print("existing folder ms: " + ", ".join(f"{t:.1f}" for t in existing)
          + f" (median {statistics.median(existing):.1f})")


if __name__ == "__main__":
    sys.exit(main())
