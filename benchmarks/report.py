"""Write benchmarks/RESULTS.md from benchmarks/results/*.json (run by `make bench` after the benchmarks; not one itself).

    python benchmarks/report.py
"""
import json
import os
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
TASKS = ("ecg", "har", "hr", "respiration")


def load(name: str) -> dict | None:
    path = RESULTS / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else None


def rate(value) -> str:
    return f"{value:,.0f}" if value is not None else "—"


def throughput_rows(results: dict) -> list[str]:
    """Items per second per task, torch and onnxruntime, batch 1 and batched."""
    rows = []
    for task, item, key in (("ecg", "beats", "throughput_beats_per_s"), ("har", "windows (2.56 s)", "throughput_windows_per_s")):
        data = results.get(task) or {}
        t = data.get(key)
        if not t:
            rows.append(f"| {task} | {item} | not run (`python benchmarks/{task}.py`) | | | | |")
            continue
        batch = next((k.removeprefix("torch_batch") for k in t if k.startswith("torch_batch") and k != "torch_batch1"), "?")
        served = f" (onnxruntime: served `{data['served_onnx']}`)" if data.get("served_onnx", "model.onnx") != "model.onnx" else ""
        rows.append(f"| {task} | {item}{served} | {rate(t.get('torch_batch1'))} | {rate(t.get(f'torch_batch{batch}'))} | "
                    f"{rate(t.get('onnx_batch1'))} | {rate(t.get(f'onnx_batch{batch}'))} | {batch} |")
        if float32 := data.get(f"float32_onnx_{key.removeprefix('throughput_')}"):
            rows.append(f"| {task} | {item} (float32 `model.onnx`) | — | — | {rate(float32.get('onnx_batch1'))} | "
                        f"{rate(float32.get(f'onnx_batch{batch}'))} | {batch} |")
    hr = results.get("hr")
    if hr:
        # The HR model reads a whole run as one sequence: "batched" is one run's 5 s steps in one call; no batch-1 figure.
        by_backend = {}
        for row in hr["rows"]:
            by_backend.setdefault(row["backend"], []).append(row["grid_steps"] / row["predict_s"])
        rows.append(f"| hr | 5 s steps of a run | — | {rate(max(by_backend.get('torch', [0])) or None)} | — | "
                    f"{rate(max(by_backend.get('onnx', [0])) or None)} | one {hr['rows'][0]['grid_steps']}-step run |")
    else:
        rows.append("| hr | 5 s steps | not run (`python benchmarks/hr.py`) | | | | |")
    rows.append("| respiration | — | not measured by `benchmarks/respiration.py` (end to end only, below) | | | | |")
    return rows


def end_to_end_rows(results: dict) -> list[str]:
    """Seconds from file to result for each task's long recording."""
    rows = []
    if ecg := results.get("ecg"):
        r = ecg["record"]
        rows.append(f"| ecg | MIT-BIH record {r['name']}, {r['duration_s'] / 60:.0f} min, {r['beats']} beats (onnxruntime) | {r['total_s']:.2f} |")
    if har := results.get("har"):
        for name, r in har["recordings"].items():
            rows.append(f"| har | {r['duration_s'] / 60:.0f} min {name.replace('_', '+')} recording, {r['windows']} windows ({r['variant']} model) | {r['total_s']:.2f} |")
    if hr := results.get("hr"):
        for r in hr["rows"]:
            rows.append(f"| hr | {hr['run']} run as {r['format'].upper()} ({r['file_kib']} KiB), {r['backend']} | {r['total_s']:.2f} |")
    if resp := results.get("respiration"):
        labels = {"rr_night_8h_s": f"8 h night of beat times ({resp.get('night_beats', '?')} beats), apnea per minute",
                  "waveform_10min_125hz_s": "10 min breathing waveform at 125 Hz",
                  "nab_machine_temperature_22695_points_s": "NAB machine temperature, 22,695 points"}
        for key, label in labels.items():
            if key in resp:
                rows.append(f"| respiration | {label} ({resp.get('backend', '')}) | {resp[key]:.2f} |")
    missing = [task for task in TASKS if not results.get(task)]
    rows += [f"| {task} | not run (`python benchmarks/{task}.py`) | |" for task in missing]
    return rows


def main() -> None:
    results = {name: load(name) for name in (*TASKS, "coldstart", "load")}
    lines = ["# Speed report", "",
             f"Written by `make bench` (`benchmarks/report.py`) on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} "
             f"from `benchmarks/results/*.json`; {os.cpu_count()} CPU cores shared with other work, no GPU. "
             "Each figure is the last run of its script.", "",
             "## Model throughput (items per second)", "",
             "| task | item | torch, batch 1 | torch, batched | onnxruntime, batch 1 | onnxruntime, batched | batch |",
             "|---|---|---:|---:|---:|---:|---|", *throughput_rows(results), "",
             "## End to end: a long recording, file to result", "",
             "| task | recording | seconds |", "|---|---|---:|", *end_to_end_rows(results), "",
             "## Hub cold start (import `app.py`, load every model)", ""]
    if cold := results["coldstart"]:
        lines += [f"- import: **{cold['import_s']:.1f} s** (aim {cold['aim_s']:.0f} s; best of {cold['repeats']} fresh processes "
                  f"restarting with the project's bytecode cached; from launching Python {cold['launch_to_loaded_s']:.1f} s)",
                  f"- very first start, compiling the project's modules: {cold['first_start_import_s']:.1f} s",
                  f"- first request after it (an ECG example, with the libraries imported on first use): "
                  f"{cold['first_request_s']:.2f} s",
                  f"- resident memory after import: **{cold['rss_mb']:.0f} MB** (aim {cold['aim_rss_mb']} MB)"]
    else:
        lines.append("Not run (`python benchmarks/coldstart.py`).")
    lines += ["", "## Load: concurrent clients on loopback", ""]
    if load_ := results["load"]:
        q = load_["queue"]
        lines += [f"{load_['clients']} `gradio_client` clients x {load_['requests_per_client']} mixed example requests over every "
                  f"endpoint; queue `default_concurrency_limit={q['default_concurrency_limit']}` per endpoint, `max_size={q['max_size']}`; "
                  f"load average {load_['loadavg_before'][0]:.1f} before, {load_['loadavg_after'][0]:.1f} after.", "",
                  f"- completed {load_['completed']} of {load_['requested']}, **{load_['errors']} errors**, {load_['wall_s']:.0f} s",
                  f"- throughput **{load_['throughput_per_s']:.2f} requests/s**",
                  f"- latency p50 **{load_['p50_s']:.2f} s**, p95 **{load_['p95_s']:.2f} s**, p99 **{load_['p99_s']:.2f} s**, max {load_['max_s']:.2f} s",
                  f"- server resident memory {load_['server_idle_rss_mb']:.0f} MB idle, **{load_['server_peak_rss_mb']:.0f} MB** peak", "",
                  "| endpoint | requests | p50 s | p95 s |", "|---|---:|---:|---:|"]
        lines += [f"| {name} | {e['requests']} | {e['p50_s']:.2f} | {e['p95_s']:.2f} |" for name, e in load_["per_endpoint"].items()]
    else:
        lines.append("Not run (`python benchmarks/load.py`).")
    (HERE / "RESULTS.md").write_text("\n".join(lines) + "\n")
    print(f"wrote {HERE / 'RESULTS.md'}")


if __name__ == "__main__":
    main()
