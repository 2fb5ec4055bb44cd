"""Load test: many gradio_client users against a locally started app, loopback only.

    python scripts/load_test.py [--clients 20] [--requests 25] [--burst 60] [--timeout 900] [--batch 8]

Starts `python app.py` on a free 127.0.0.1 port, then runs CLIENTS threads that
each send REQUESTS predictions of the example clips, one after another, and
reports successes, failures, p50/p95 latency and the server's peak memory
(VmHWM). With --burst N it then fires N requests at once, more than the
queue holds, and counts how many were answered and how many got Gradio's
"queue is full" refusal; the server must still answer afterwards. Every loop
is bounded in count and in time (--timeout), and only 127.0.0.1 is contacted.
--batch N starts the app with EMOTION_BATCH=N (Gradio's batch=True, up to N
requests per forward pass) to compare with the default of one at a time.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.flac"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def peak_rss_mb(pid: int) -> float:
    """Peak resident memory of a process and its children so far (Linux /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def start_app(port: int, batch: int = 0) -> subprocess.Popen:
    env = {**os.environ, "EMOTION_BATCH": str(batch), "GRADIO_SERVER_NAME": "127.0.0.1", "GRADIO_SERVER_PORT": str(port),
           "GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_OFFLINE": "1"}
    proc = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 180
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError("app.py exited during start-up")
            time.sleep(0.5)
    proc.kill()
    raise RuntimeError("app.py did not start within 180 s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python scripts/load_test.py", description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--requests", type=int, default=25, help="per client")
    parser.add_argument("--burst", type=int, default=0, help="then send this many at once (0: skip)")
    parser.add_argument("--timeout", type=float, default=900, help="stop sending after this many seconds")
    parser.add_argument("--batch", type=int, default=0, help="serve with EMOTION_BATCH=N (0: no batching)")
    args = parser.parse_args(argv)

    from gradio_client import Client, handle_file

    port = free_port()
    t_start = time.time()
    app = start_app(port, args.batch)
    url = f"http://127.0.0.1:{port}/"
    mode = f"batches of up to {args.batch}" if args.batch else "one request at a time"
    print(f"app ({mode}) up on {url} in {time.time() - t_start:.1f} s; peak RSS {peak_rss_mb(app.pid):.0f} MB")
    latencies, failures, lock = [], [], threading.Lock()
    deadline = time.time() + args.timeout

    def user(i: int) -> None:
        client = Client(url, verbose=False)
        for r in range(args.requests):
            if time.time() > deadline:
                return
            clip = EXAMPLES[(i + r) % len(EXAMPLES)]
            t = time.perf_counter()
            try:
                labels, _plot, _truth, status = client.predict(handle_file(str(clip)), api_name="/predict")
                ok = labels and len(labels["confidences"]) == 8
            except Exception as e:  # noqa: BLE001 -- every failure is counted, whatever it is
                ok, status = False, f"{type(e).__name__}: {e}"
            with lock:
                (latencies.append(time.perf_counter() - t) if ok else failures.append(status))

    try:
        t0 = time.time()
        with ThreadPoolExecutor(args.clients) as pool:
            list(pool.map(user, range(args.clients)))
        wall = time.time() - t0
        ms = np.array(latencies) * 1000
        total = args.clients * args.requests
        print(f"{args.clients} clients x {args.requests} requests: {len(latencies)} ok, {len(failures)} failed, "
              f"{total - len(latencies) - len(failures)} not sent (time limit) in {wall:.0f} s "
              f"({len(latencies) / wall:.1f} requests/s)")
        if len(ms):
            print(f"latency p50 {np.percentile(ms, 50):.0f} ms, p95 {np.percentile(ms, 95):.0f} ms, max {ms.max():.0f} ms")
        for f in failures[:5]:
            print("  failure:", f)
        print(f"server peak RSS {peak_rss_mb(app.pid):.0f} MB")

        if args.burst:
            results = []

            def one(_):
                try:
                    Client(url, verbose=False).predict(handle_file(str(EXAMPLES[0])), api_name="/predict")
                    return "ok"
                except Exception as e:  # noqa: BLE001
                    return "queue full" if "queue" in str(e).lower() and "full" in str(e).lower() else f"other: {e}"

            with ThreadPoolExecutor(args.burst) as pool:
                results = list(pool.map(one, range(args.burst)))
            counts = {k: results.count(k) for k in sorted(set(results))}
            print(f"burst of {args.burst} at once: {counts}")
            after = Client(url, verbose=False).predict(handle_file(str(EXAMPLES[1])), api_name="/predict")
            print("after the burst the app still answers:", bool(after[0]))
    finally:
        app.terminate()
        app.wait(timeout=30)
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())
