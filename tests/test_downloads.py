"""Result downloads (core/downloads.py): the files a Space offers, written from the result."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go

from core.downloads import downloads


class Result:
    def to_json(self):
        return {"task": "toy", "beats": [1, 2]}


def test_figure_html_loads_plotly_as_plotly_writes_it_and_holds_the_figure(tmp_path):
    figure = go.Figure(go.Scatter(x=[0.5, 1.5], y=[3, 4], name="toy trace"))
    json_file, csv_file, html_file = map(Path, downloads(Result(), pd.DataFrame({"a": [1]}), "up load.csv", figure))
    assert [json_file.name, csv_file.name, html_file.name] == ["up_load.json", "up_load.csv", "up_load.html"]
    figure.write_html(tmp_path / "plotly.html", include_plotlyjs="cdn")
    tag = r'<script charset="utf-8" src="[^"]+" integrity="sha256-[^"]+" crossorigin="anonymous"></script>'
    ours, plotlys = html_file.read_text(), (tmp_path / "plotly.html").read_text()
    assert re.findall(tag, ours) == re.findall(tag, plotlys) and len(re.findall(tag, ours)) == 1
    assert "Plotly.newPlot" in ours and '"toy trace"' in ours and ours.index("integrity") < ours.index("newPlot")
