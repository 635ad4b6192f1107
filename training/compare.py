"""Train several architectures of one task under the same budget and tabulate their test metrics; each candidate is
a tracked run of experiment `--experiment` (default: the --out folder's name), e.g. MLflow runs side by side with
`-- --tracker mlflow`.

python -m training.compare ecg --archs rnn lstm gru resnet --out runs/ecg-compare \
-- --epochs 6 --limit 30000 --no-use-rr
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
from matplotlib.figure import Figure

from core.tasks import get_task
from training import tracking
from training.metrics import write_rows_csv

DEFAULT_COMPARE = ("--arch", ("accuracy", "macro_f1"))
"""The training flag each candidate name goes to, and the test figures tabulated (the last one plotted); a training
module overrides them with its own `COMPARE`."""


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m training.compare")
    parser.add_argument("task")
    parser.add_argument("--archs", nargs="+", required=True)
    parser.add_argument("--out", required=True, help="folder for one checkpoint per architecture and the table")
    parser.add_argument("--experiment", help="experiment the candidates' runs are logged under (default: --out's name)")
    argv = sys.argv[1:] if argv is None else argv
    split = argv.index("--") if "--" in argv else len(argv)
    args, extra = parser.parse_args(argv[:split]), argv[split + 1 :]  # after --: overrides for every training run
    task = get_task(args.task)
    module = importlib.import_module(f"training.{task.name}")
    flag, figures = getattr(module, "COMPARE", DEFAULT_COMPARE)
    out = Path(args.out)
    rows = []
    experiment = args.experiment or out.name
    for arch in args.archs:
        with tracking.tracked(task.name) as session:
            folder = module.main(["--experiment", experiment, *extra, flag, arch, "--out", str(out / arch)])
            session.close(folder, "FINISHED")
        metrics = json.loads((folder / "metrics.json").read_text())
        test = metrics["test"]
        rows.append(
            {
                "arch": arch,
                "parameters": metrics["parameters"],
                "epochs": metrics["epochs_run"],
                "train_seconds": metrics["train_seconds"],
                **{f"test_{name}": round(test[name], 4) for name in figures},
            }
        )
    write_rows_csv(rows, out / "comparison.csv")
    shown, headline = " ".join(f"{name} {{:.4f}}" for name in figures), f"test_{figures[-1]}"
    fig = Figure(figsize=(7, 3.5), layout="constrained")
    ax = fig.subplots()
    ax.bar([r["arch"] for r in rows], [r[headline] for r in rows], color="tab:blue")
    for i, row in enumerate(rows):
        label = "\n".join(f"{name} {row[f'test_{name}']:.3f}" for name in figures)
        ax.text(i, row[headline], label, ha="center", va="bottom", fontsize=8)
    ax.set(ylabel=headline.replace("_", " "), ylim=(0, 1.1), title=f"{task.title}: candidates under one budget")
    fig.savefig(out / "comparison.png", dpi=110)
    print(
        "\n".join(
            f"{r['arch']:>8}  "
            + shown.format(*(r[f"test_{name}"] for name in figures))
            + f"  {r['train_seconds']:.0f} s"
            for r in rows
        )
    )


if __name__ == "__main__":
    main()
