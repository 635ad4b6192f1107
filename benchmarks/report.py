"""Write benchmarks/RESULTS.md from benchmarks/results/*.json (run by `make bench` after the benchmarks; not one
itself).

python benchmarks/report.py
"""

import json
import os
import time
from pathlib import Path

from core import list_tasks

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"


def load(name: str) -> dict | None:
    path = RESULTS / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else None


def rate(value) -> str:
    return f"{value:,.0f}" if value is not None else "—"


def report_rows(results: dict) -> dict:
    """The rows a task benchmark writes under "report" in its JSON: "throughput" (item, torch_batch1, torch_batched,
    onnx_batch1, onnx_batched, batch) and "end_to_end" (recording, seconds). A JSON without them gives its top-level
    timings ("*_s") as end-to-end rows, named by their keys, and no throughput."""
    if "report" in results:
        return results["report"]
    suffix = f" ({results['backend']})" if results.get("backend") else ""
    return {
        "throughput": [],
        "end_to_end": [
            {"recording": key + suffix, "seconds": value}
            for key, value in results.items()
            if key.endswith("_s") and isinstance(value, (int, float))
        ],
    }


def throughput_rows(results: dict) -> list[str]:
    """Items per second per task, torch and onnxruntime, batch 1 and batched."""
    rows = []
    for task in list_tasks():
        if not results.get(task):
            rows.append(f"| {task} | — | not run (`python benchmarks/{task}.py`) | | | | |")
            continue
        measured = report_rows(results[task])["throughput"]
        if not measured:
            rows.append(f"| {task} | — | not measured by `benchmarks/{task}.py` (end to end only, below) | | | | |")
        rows += [
            f"| {task} | {r['item']} | {rate(r['torch_batch1'])} | {rate(r['torch_batched'])} | "
            f"{rate(r['onnx_batch1'])} | {rate(r['onnx_batched'])} | {r['batch']} |"
            for r in measured
        ]
    return rows


def end_to_end_rows(results: dict) -> list[str]:
    """Seconds from file to result for each task's long recording."""
    rows, missing = [], []
    for task in list_tasks():
        if not results.get(task):
            missing.append(task)
            continue
        rows += [
            f"| {task} | {r['recording']} | {r['seconds']:.2f} |" for r in report_rows(results[task])["end_to_end"]
        ]
    rows += [f"| {task} | not run (`python benchmarks/{task}.py`) | |" for task in missing]
    return rows


def load_lines(load_: dict | None, command: str) -> list[str]:
    """A load run's settings, throughput, latency, memory and per-endpoint latency (`benchmarks/load.py`)."""
    if not load_:
        return [f"Not run (`{command}`)."]
    lines = []
    q, cpu = load_["queue"], load_["cpu_ms_per_request"]
    lines += [
        f"`{command}`: {load_['clients']} `gradio_client` clients"
        + (f" and {load_['long_clients']} sending 30-minute ECGs back to back" if load_.get("long_clients") else "")
        + f" x {load_['requests_per_client']} mixed example requests "
        f"over every endpoint; queue `default_concurrency_limit={q['default_concurrency_limit']}` per endpoint, "
        f"`max_size={q['max_size']}`; "
        f"load average {load_['loadavg_before'][0]:.1f} before, {load_['loadavg_after'][0]:.1f} after.",
        "",
        (
            f"- completed {load_['requested']} short requests and {load_['completed'] - load_['requested']} long ones"
            if load_.get("long_clients")
            else f"- completed {load_['completed']} of {load_['requested']}"
        )
        + f", **{load_['errors']} errors**, "
        f"{load_['wall_s']:.0f} s",
        f"- throughput **{load_['throughput_per_s']:.2f} requests/s**",
        f"- latency p50 **{load_['p50_s']:.2f} s**, p95 **{load_['p95_s']:.2f} s**, "
        f"p99 **{load_['p99_s']:.2f} s**, max {load_['max_s']:.2f} s",
        f"- server resident memory {load_['server_idle_rss_mb']:.0f} MB idle, "
        f"**{load_['server_peak_rss_mb']:.0f} MB** peak",
        f"- CPU per request: server **{cpu['server']:.0f} ms**, the clients' process {cpu['clients']:.0f} ms "
        "(both on this machine)",
        "",
        "| endpoint | requests | p50 s | p95 s |",
        "|---|---:|---:|---:|",
    ]
    lines += [
        f"| {name} | {e['requests']} | {e['p50_s']:.2f} | {e['p95_s']:.2f} |"
        for name, e in load_["per_endpoint"].items()
    ]
    return lines


def main() -> None:
    results = {name: load(name) for name in (*list_tasks(), "coldstart", "load", "load_mixed", "request_split")}
    lines = [
        "# Speed report",
        "",
        f"Written by `make bench` (`benchmarks/report.py`) on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} "
        f"from `benchmarks/results/*.json`; {os.cpu_count()} CPU cores shared with other work, no GPU. "
        "Each figure is the last run of its script.",
        "",
        "## Model throughput (items per second)",
        "",
        "| task | item | torch, batch 1 | torch, batched | onnxruntime, batch 1 | onnxruntime, batched | batch |",
        "|---|---|---:|---:|---:|---:|---|",
        *throughput_rows(results),
        "",
        "## End to end: a long recording, file to result",
        "",
        "| task | recording | seconds |",
        "|---|---|---:|",
        *end_to_end_rows(results),
        "",
        "## Hub cold start (import `app.py`, load every model)",
        "",
    ]
    if cold := results["coldstart"]:
        lines += [
            f"- import: **{cold['import_s']:.1f} s** (aim {cold['aim_s']:.0f} s; best of {cold['repeats']} "
            f"fresh processes restarting with the project's bytecode cached; "
            f"from launching Python {cold['launch_to_loaded_s']:.1f} s)",
            f"- very first start, compiling the project's modules: {cold['first_start_import_s']:.1f} s",
            f"- warm-up before the server opens its port (every task's first example, loading the libraries "
            f"requests import on first use): {cold['warm_up_s']:.1f} s; the first request after it (an ECG "
            f"example): {cold['first_request_s']:.2f} s",
            f"- resident memory after import: **{cold['rss_mb']:.0f} MB** (aim {cold['aim_rss_mb']} MB)",
        ]
    else:
        lines.append("Not run (`python benchmarks/coldstart.py`).")
    lines += ["", "## Load: concurrent clients on loopback", ""]
    lines += load_lines(results["load"], "python benchmarks/load.py")
    lines += ["", "## Load with long jobs: short requests beside 30-minute ECGs", ""]
    lines += load_lines(results["load_mixed"], "python benchmarks/load.py --clients 2 --requests 20 --long-clients 2")
    lines += ["", "## Per-request server CPU split", ""]
    if split := results["request_split"]:
        lines += [
            f"{split['unit']} over {split['repeats']} repeats of each endpoint's examples, answered in one process by "
            "the function the endpoint runs (`benchmarks/request_split.py`): read = the task's reader, predict = "
            "`Task.run`, serialise = downloads, Gradio postprocessing and JSON, render = the rest (figures, tables, "
            "summary). The server's CPU per request under load (above) adds what no endpoint function runs: "
            "uploads, the queue, serving the downloads and HTTP.",
            "",
            "| endpoint | example | read | predict | render | serialise | total |",
            "|---|---|---:|---:|---:|---:|---:|",
        ]
        lines += [
            f"| {r['endpoint']} | {r['example']} | {r['read']:.0f} | {r['predict']:.0f} | {r['render']:.0f} | "
            f"{r['serialise']:.0f} | {r['total']:.0f} |"
            for r in split["rows"]
        ]
    else:
        lines.append("Not run (`python benchmarks/request_split.py`).")
    (HERE / "RESULTS.md").write_text("\n".join(lines) + "\n")
    print(f"wrote {HERE / 'RESULTS.md'}")


if __name__ == "__main__":
    main()
