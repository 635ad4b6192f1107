"""The measured quality of every shipped checkpoint as one Markdown table, read from `checkpoints/*/metrics.json`.

python -m training.leaderboard            # print the table
python -m training.leaderboard --write    # refresh both tables in README.md (between their markers)
"""

from __future__ import annotations

import json
import re
import sys

from core.predictor import read_metrics, shown_metrics
from core.tasks import CHECKPOINTS, ROOT

START, END = "<!-- leaderboard:start -->", "<!-- leaderboard:end -->"
UNSEEN_START, UNSEEN_END = "<!-- unseen:start -->", "<!-- unseen:end -->"
FIRST_SENTENCE_END = re.compile(r"(?<!\bal)\. ")
"""Where a protocol text's first sentence ends (not at "et al.")."""


def _format(name: str, value: float) -> str:
    if name in ("mae", "rmse"):
        return f"{name} {value:.2f} bpm"
    if name.endswith("_pct_error"):
        return f"{name.removesuffix('_pct_error').replace('_', ' ')} error {value:.1f}%"
    if name == "j_index":
        return f"j-index {value:.3f}"
    return f"{name.replace('_', ' ')} {value:.2%}" if value <= 1 else f"{name} {value:.3f}"


def _figures(block: dict) -> str:
    """The shown metrics of a test block, then S and V sensitivity / positive predictivity where it has them."""
    figures = [_format(name, value) for name, value in shown_metrics(block).items()]
    per_class = block.get("per_class", {})
    if "j_index" in block and {"S", "V"} <= per_class.keys():
        figures += [
            f"{c} Se/+P {per_class[c]['recall']:.1%}/{per_class[c]['precision']:.1%}".replace("%/", "/") for c in "SV"
        ]
    return ", ".join(figures)


def table() -> str:
    rows = ["| checkpoint | test figures | protocol |", "|---|---|---|"]
    for path in sorted(CHECKPOINTS.glob("*/metrics.json")):
        metrics = json.loads(path.read_text())
        figures = _figures(metrics.get("test", {}))
        if "test_end_to_end" in metrics:
            figures += f"; end to end at detected beats: {_figures(metrics['test_end_to_end'])}"
        protocol = FIRST_SENTENCE_END.split(metrics.get("protocol_text", "").replace("|", "/"))[0].rstrip(".")
        rows.append(f"| `{path.parent.name}` | {figures} | {protocol} |")
    return "\n".join(rows)


def _se_p(per_class: dict, label: str) -> str:
    return f"{per_class[label]['recall']:.1%}/{per_class[label]['precision']:.1%}".replace("%/", "/")


def unseen_rows() -> list[tuple[str, str, str, str]]:
    """(task, figure on people no choice saw, benchmark figure, command) per task, from the shipped metrics."""
    rows = []
    if (inter := read_metrics(CHECKPOINTS / "ecg-inter")) and (intra := read_metrics(CHECKPOINTS / "ecg-intra")):
        test, end = inter["test"], inter["test_end_to_end"]
        rows.append(
            (
                "ECG beats",
                f"22 DS2 patients (de Chazal 2004): accuracy {test['accuracy']:.2%} at reference beats, "
                f"{end['accuracy']:.2%} end to end at detected beats; V Se/+P {_se_p(test['per_class'], 'V')}, "
                f"**S Se/+P {_se_p(test['per_class'], 'S')}**",
                f"intra-patient random split {intra['test']['accuracy']:.2%} (patients seen in training)",
                "python -m training.evaluate ecg --variant inter",
            )
        )
    if anomaly := read_metrics(CHECKPOINTS / "ecg_anomaly-vae"):
        rows.append(
            (
                "ECG anomalies",
                f"22 DS2 patients, any non-N beat: AUROC {anomaly['test']['auroc']:.3f} (beta-VAE trained on normal "
                f"DS1 beats only); the supervised new-patient model {anomaly['baseline']['test']['auroc']:.3f}",
                "",
                "python -m training.evaluate ecg_anomaly --variant vae",
            )
        )
    if placement := read_metrics(CHECKPOINTS / "har-placement"):
        test = placement["test"]
        recalls = [row["walking_recall"] for row in test["oxford"].values()]
        rows.append(
            (
                "Activity",
                f"phone in a trouser pocket (sp_sw_har test people): walking vs seated "
                f"{test['pocket_walking_vs_seated_accuracy']:.1%}, "
                f"placed as pocket {test['pocket_placement_rate']:.0%}; "
                f"Oxford test walks in hand, pocket and bag: walking recall {min(recalls):.1%}-{max(recalls):.1%}, "
                f"placement {test['oxford_placement_accuracy']:.1%}, steps median error "
                f"{test['steps']['all']['median_abs_pct_error']:.1f}%",
                f"UCI HAR test subjects (waist) {test['uci_accuracy']:.2%}",
                "python -m training.evaluate har --variant placement",
            )
        )
    if (plain := read_metrics(CHECKPOINTS / "hr-lstm")) and (calibrated := read_metrics(CHECKPOINTS / "hr-lstm-cal")):
        test, cal = plain["test"], calibrated["test"]
        window, served = test["calibration"], cal["calibration"]
        rows.append(
            (
                "Heart rate",
                f"{test['n_runners']} test runners: {test['mae']:.2f} bpm uncalibrated (80 % band covers "
                f"{test['band_coverage']['uncalibrated']:.0%} of their steps); calibrated on the run's own minutes "
                f"{served['window_start_min']:g}-{served['minutes']:g}, {served['mae_after']:.2f} bpm with "
                f"`lstm-cal`, chosen out of fold (band covers {cal['band_coverage']['calibrated']:.0%}; `lstm` on "
                f"minutes {window['window_start_min']:g}-{window['minutes']:g} gives {window['mae_after']:.2f} bpm "
                f"and {test['band_coverage']['calibrated']:.0%} on these runners)",
                "the same runners: the task's split is by runner",
                "python -m training.evaluate hr --variant lstm-cal",
            )
        )
    if events := read_metrics(CHECKPOINTS / "respiration-waveform").get("bidmc_events"):
        breaths, test = events["breaths_pooled"]["annotator1"], events["events"]["test_21_40"]
        rows.append(
            (
                "Breathing",
                f"BIDMC, {breaths['records']} records: breath Se/+P {breaths['sensitivity']:.1%}/"
                f"{breaths['positive_predictivity']:.1%} (first annotator); events inserted in records 21-40: pauses "
                f"found {test['sensitivity']['pause']:.0%}, {test['false_events_per_hour']:.2f} false events per hour",
                "",
                "python -m training.respiration_events",
            )
        )
    if apnea := read_metrics(CHECKPOINTS / "respiration-apnea"):
        rows.append(
            (
                "Apnea",
                f"{len(apnea['test']['records'])} Apnea-ECG records never seen: minute accuracy "
                f"{apnea['test']['accuracy']:.2%}, AUROC {apnea['test']['auroc']:.2%}",
                "",
                "python -m training.evaluate respiration --variant apnea",
            )
        )
    return rows


def unseen_table() -> str:
    lines = ["| task | people never seen | benchmark figure | command |", "|---|---|---|---|"]
    lines += [
        f"| {task} | {figure} | {benchmark} | `{command}` |" for task, figure, benchmark, command in unseen_rows()
    ]
    return "\n".join(lines)


def _replace(text: str, start: str, end: str, content: str) -> str:
    head, _, rest = text.partition(start)
    _, _, tail = rest.partition(end)
    return f"{head}{start}\n{content}\n{end}{tail}"


def refreshed_readme() -> str:
    """README.md with the tables between the markers replaced by the current ones."""
    text = _replace((ROOT / "README.md").read_text(), UNSEEN_START, UNSEEN_END, unseen_table())
    return _replace(text, START, END, table())


if __name__ == "__main__":
    if "--write" in sys.argv[1:]:
        (ROOT / "README.md").write_text(refreshed_readme())
    else:
        print(unseen_table(), table(), sep="\n\n")
