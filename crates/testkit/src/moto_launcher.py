"""Starts moto's ThreadedMotoServer on 127.0.0.1 (an OS-chosen port), prints
"READY <port>" and keeps it alive until the parent process dies or a maximum
lifetime passes, so a killed test never leaves a server behind."""
import os
import sys
import time

MAX_LIFETIME_SECONDS = int(os.environ.get("AWSLAB_MOTO_MAX_LIFETIME", "1200"))

parent = os.getppid()
from moto.server import ThreadedMotoServer  # noqa: E402  (after reading the parent pid)

server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
server.start()
_, port = server.get_host_and_port()
print(f"READY {port}", flush=True)

deadline = time.monotonic() + MAX_LIFETIME_SECONDS
while time.monotonic() < deadline and os.getppid() == parent:
    time.sleep(0.5)
sys.stdout.flush()
os._exit(0)
