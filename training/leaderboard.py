"""The measured quality of every shipped checkpoint as one Markdown table, read from `checkpoints/*/metrics.json`.

python -m training.leaderboard            # print the table
python -m training.leaderboard --write    # refresh the table in README.md (between the leaderboard markers)
"""

from __future__ import annotations

import json
import re
import sys

from core.predictor import shown_metrics
from core.tasks import CHECKPOINTS, ROOT

START, END = "<!-- leaderboard:start -->", "<!-- leaderboard:end -->"
FIRST_SENTENCE_END = re.compile(r"(?<!\bal)\. ")
"""Where a protocol text's first sentence ends (not at "et al.")."""


def _format(name: str, value: float) -> str:
    if name in ("mae", "rmse"):
        return f"{name} {value:.2f} bpm"
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


def refreshed_readme() -> str:
    """README.md with the table between the markers replaced by the current one."""
    text = (ROOT / "README.md").read_text()
    head, _, rest = text.partition(START)
    _, _, tail = rest.partition(END)
    return f"{head}{START}\n{table()}\n{END}{tail}"


if __name__ == "__main__":
    if "--write" in sys.argv[1:]:
        (ROOT / "README.md").write_text(refreshed_readme())
    else:
        print(table())
