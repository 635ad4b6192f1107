"""Load on the hub: N concurrent gradio_client clients send mixed example requests to every Space endpoint
over loopback.

    python benchmarks/load.py                        # 16 clients x 25 requests; writes benchmarks/results/load.json
    python benchmarks/load.py --clients 8 --requests 10
    python benchmarks/load.py --long-clients 2       # plus 2 clients sending 30-minute ECGs back to back

The hub runs in a subprocess on 127.0.0.1 with the queue settings below; the run stops after the requests or the time
limit, whichever comes first. Reports throughput, p50/p95/p99 latency, errors (should be 0), the server's peak RSS and
the CPU seconds each process used per request. The clients share the machine with the server, so they talk plain HTTP
without TLS setup (`ssl_verify=False`): otherwise httpx loads the CA bundle for every upload and download, which took
most of the client process's CPU.
"""

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
from gradio_client import Client, handle_file

from core import get_task, list_tasks
from core.space import QUEUE_OPTIONS, upload_of

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"


def request(endpoint, path: Path):
    """`() -> arguments` of one request: the example upload (a list when the endpoint takes several files), then the
    endpoint's other inputs."""

    def make_args():
        files = [handle_file(p) for p in upload_of(path)]  # as the Spaces' example buttons send it
        return (files if endpoint.file_list else files[0], *endpoint.options)

    return make_args


MIX = [
    (task.name, f"/{endpoint.api_name}", request(endpoint, task.example(name)))
    for task in map(get_task, list_tasks())
    for endpoint in task.endpoints
    for name in endpoint.examples
]
"""Every example of every registered Space endpoint, shipped with the Spaces: (task, api name, `() -> arguments`)."""

SERVER = """
import sys, app
from core.space import serve
serve(app.demo, app.SERVED, {"default_concurrency_limit": int(sys.argv[2]), "max_size": int(sys.argv[3])},
      server_name="127.0.0.1", server_port=int(sys.argv[1]), quiet=True)
"""


def long_ecg(folder: Path, minutes: float = 30) -> Path:
    """A long upload: the ECG Space's first CSV example repeated to `minutes` (a heavy request for the Spaces)."""
    example = get_task("ecg").examples[0]
    recording = get_task("ecg").read(example)
    repeats = int(np.ceil(minutes * 60 * recording.fs / len(recording.signal)))
    path = folder / f"long_{minutes:g}min.csv"
    values = np.tile(recording.signal, (repeats, 1))
    header = f"# fs={recording.fs:g}\n" + ",".join(recording.channels) + "\n"
    path.write_text(header + "\n".join(",".join(f"{v:.4f}" for v in row) for row in values))
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time a process has used so far, in seconds (/proc/PID/stat)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    """Resident memory of a process in MB (0 once it has gone)."""
    try:
        with open(f"/proc/{pid}/status") as status:
            return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:")) / 1024
    except (FileNotFoundError, StopIteration):
        return 0.0


SERVER_LOG = Path(tempfile.gettempdir()) / "physiospaces-load-server.log"
"""The hub's stderr (the tracebacks of unexpected errors); a pipe nobody reads would stall the server once full."""


def start_hub(port: int, concurrency: int, max_size: int, timeout_s: float = 180) -> subprocess.Popen:
    """The hub in a child process; returns once it answers on the port."""
    server = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(port), str(concurrency), str(max_size)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=SERVER_LOG.open("w"),
        text=True,
    )
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the hub exited with code {server.returncode}: {SERVER_LOG.read_text()[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return server
        except OSError:
            time.sleep(0.5)
    server.kill()
    raise RuntimeError(f"the hub did not answer on port {port} within {timeout_s:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--requests", type=int, default=25, help="requests per client")
    parser.add_argument(
        "--concurrency",
        type=int,
        default=QUEUE_OPTIONS["default_concurrency_limit"],
        help="queue default_concurrency_limit (per endpoint)",
    )
    parser.add_argument(
        "--max-size", type=int, default=QUEUE_OPTIONS["max_size"], help="queue max_size (waiting before refusal)"
    )
    parser.add_argument("--long-clients", type=int, default=0, help="extra clients sending 30-minute ECGs")
    parser.add_argument("--time-limit", type=float, default=900, help="seconds after which no new request starts")
    args = parser.parse_args()

    port = free_port()
    server = start_hub(port, args.concurrency, args.max_size)
    url = f"http://127.0.0.1:{port}/"
    peak_rss, idle_rss = [rss_mb(server.pid)], rss_mb(server.pid)
    done = threading.Event()

    def sample_memory():
        while not done.wait(0.2):
            peak_rss.append(rss_mb(server.pid))

    latencies, errors, lock = [], [], threading.Lock()
    short_done = threading.Event()
    scratch = Path(tempfile.mkdtemp(prefix="physiospaces-load-"))
    LONG = ("ecg-long", "/classify", lambda: ([handle_file(str(long_path))], None))
    long_path = long_ecg(scratch) if args.long_clients else None
    deadline = time.monotonic() + args.time_limit

    def client_loop(index: int):
        client = Client(url, verbose=False, ssl_verify=False)
        for k in range(args.requests):
            if time.monotonic() > deadline or (index < 0 and short_done.is_set()):
                return
            task, api_name, make_args = LONG if index < 0 else MIX[(index + k) % len(MIX)]
            start = time.perf_counter()
            try:
                client.predict(*make_args(), api_name=api_name)
                with lock:
                    latencies.append((task + api_name, time.perf_counter() - start))
            except Exception as error:  # a benchmark counts every failure instead of stopping at the first
                with lock:
                    errors.append(f"{task}{api_name}: {type(error).__name__}: {str(error)[:200]}")

    load_before = os.getloadavg()
    cpu_before = {"server": cpu_seconds(server.pid), "clients": cpu_seconds(os.getpid())}
    sampler = threading.Thread(target=sample_memory, daemon=True)
    sampler.start()
    start = time.perf_counter()
    clients = [threading.Thread(target=client_loop, args=(i,)) for i in range(args.clients)]
    long_clients = [threading.Thread(target=client_loop, args=(-1 - i,)) for i in range(args.long_clients)]
    try:
        for thread in clients + long_clients:
            thread.start()
        for thread in clients:
            thread.join()
        short_done.set()  # long clients finish the request they are in, then stop
        for thread in long_clients:
            thread.join()
    finally:
        wall = time.perf_counter() - start
        cpu_used = {
            "server": cpu_seconds(server.pid) - cpu_before["server"],
            "clients": cpu_seconds(os.getpid()) - cpu_before["clients"],
        }
        done.set()
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()

    seconds = np.array([s for _, s in latencies]) if latencies else np.array([np.nan])
    per_endpoint = {}
    for name in sorted({n for n, _ in latencies}):
        values = np.array([s for n, s in latencies if n == name])
        per_endpoint[name] = {
            "requests": len(values),
            "p50_s": float(np.median(values)),
            "p95_s": float(np.percentile(values, 95)),
        }
    results = {
        "clients": args.clients,
        "long_clients": args.long_clients,
        "requests_per_client": args.requests,
        "requested": args.clients * args.requests,
        "completed": len(latencies),
        "errors": len(errors),
        "error_samples": errors[:5],
        "queue": {"default_concurrency_limit": args.concurrency, "max_size": args.max_size},
        "wall_s": wall,
        "throughput_per_s": len(latencies) / wall,
        "p50_s": float(np.percentile(seconds, 50)),
        "p95_s": float(np.percentile(seconds, 95)),
        "p99_s": float(np.percentile(seconds, 99)),
        "max_s": float(np.max(seconds)),
        "server_idle_rss_mb": idle_rss,
        "server_peak_rss_mb": max(peak_rss),
        "cpu_ms_per_request": {name: 1000 * seconds / max(len(latencies), 1) for name, seconds in cpu_used.items()},
        "per_endpoint": per_endpoint,
        "loadavg_before": load_before,
        "loadavg_after": os.getloadavg(),
        "cpu_count": os.cpu_count(),
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / ("load_mixed.json" if args.long_clients else "load.json")).write_text(
        json.dumps(results, indent=2) + "\n"
    )
    print(
        f"{args.clients} clients x {args.requests} requests (queue concurrency {args.concurrency} per endpoint, "
        f"max_size {args.max_size}): "
        f"{len(latencies)} done, {len(errors)} errors in {wall:.0f} s = {results['throughput_per_s']:.2f} req/s; "
        f"latency p50 {results['p50_s']:.2f} s, p95 {results['p95_s']:.2f} s, p99 {results['p99_s']:.2f} s; "
        f"server RSS {idle_rss:.0f} MB idle, {max(peak_rss):.0f} MB peak; CPU per request: "
        + ", ".join(f"{name} {ms:.0f} ms" for name, ms in results["cpu_ms_per_request"].items())
    )
    for name, figures in per_endpoint.items():
        print(f"  {name}: {figures['requests']} requests, p50 {figures['p50_s']:.2f} s, p95 {figures['p95_s']:.2f} s")
    shutil.rmtree(scratch, ignore_errors=True)
    for line in errors[:5]:
        print("  error:", line)
    if errors:
        print(f"  server log: {SERVER_LOG}")
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
