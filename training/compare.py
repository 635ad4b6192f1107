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
    train = importlib.import_module(f"training.{task.name}").main
    out = Path(args.out)
    rows = []
    experiment = args.experiment or out.name
    for arch in args.archs:
        with tracking.tracked(task.name) as session:
            folder = train(["--experiment", experiment, *extra, "--arch", arch, "--out", str(out / arch)])
            session.close(folder, "FINISHED")
        metrics = json.loads((folder / "metrics.json").read_text())
        test = metrics["test"]
        rows.append(
            {
                "arch": arch,
                "parameters": metrics["parameters"],
                "epochs": metrics["epochs_run"],
                "train_seconds": metrics["train_seconds"],
                "test_accuracy": round(test["accuracy"], 4),
                "test_macro_f1": round(test["macro_f1"], 4),
            }
        )
    write_rows_csv(rows, out / "comparison.csv")
    fig = Figure(figsize=(7, 3.5), layout="constrained")
    ax = fig.subplots()
    ax.bar([r["arch"] for r in rows], [r["test_macro_f1"] for r in rows], color="tab:blue")
    for i, row in enumerate(rows):
        ax.text(
            i,
            row["test_macro_f1"],
            f"acc {row['test_accuracy']:.3f}\nF1 {row['test_macro_f1']:.3f}",
            ha="center",
            va="bottom",
            fontsize=8,
        )
    ax.set(ylabel="test macro-F1", ylim=(0, 1.1), title=f"{task.title}: architectures under one budget")
    fig.savefig(out / "comparison.png", dpi=110)
    print(
        "\n".join(
            f"{r['arch']:>8}  acc {r['test_accuracy']:.4f}  macro-F1 {r['test_macro_f1']:.4f}  "
            f"{r['train_seconds']:.0f} s"
            for r in rows
        )
    )


if __name__ == "__main__":
    main()
