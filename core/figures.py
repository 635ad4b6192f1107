"""Shaded time spans and labels on Plotly subplot figures, added in one layout update.

Plotly's `add_vrect` and `add_annotation` revalidate the whole layout on every call, so a result with a few dozen
spans spent most of its request rendering them (0.05 s per span on a three-row figure, measured by
`benchmarks/request_split.py`); building the shapes as plain dicts and setting them once costs about nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

import plotly.graph_objects as go


@dataclass(frozen=True)
class Span:
    """An x interval shaded behind the traces, with an optional label at its top left."""

    start: float
    end: float
    colour: str
    label: str = ""


@dataclass(frozen=True)
class Note:
    """A text at `x`, at the top of a subplot."""

    x: float
    text: str


def _refs(figure: go.Figure, row: int) -> tuple[str, str]:
    """The x axis and the y axis domain references of the subplot in `row` (first column)."""
    subplot = figure.get_subplot(row, 1)
    return subplot.xaxis.plotly_name.replace("axis", ""), subplot.yaxis.plotly_name.replace("axis", "") + " domain"


def shade(
    figure: go.Figure,
    spans: list[Span],
    rows: list[int],
    *,
    opacity: float = 1.0,
    notes: list[Note] = (),
) -> None:
    """Shade every span on every row in `rows`; label the spans (and write `notes`) on the first of them."""
    shapes, annotations = [], []
    label_x, label_y = _refs(figure, rows[0])
    for row in rows:
        xref, yref = _refs(figure, row)
        shapes += [
            {
                "type": "rect",
                "xref": xref,
                "yref": yref,
                "x0": span.start,
                "x1": span.end,
                "y0": 0,
                "y1": 1,
                "fillcolor": span.colour,
                "opacity": opacity,
                "line": {"width": 0},
                "layer": "below",
            }
            for span in spans
        ]
    text = {"showarrow": False, "xref": label_x, "yref": label_y, "y": 1, "yanchor": "top"}
    annotations += [{**text, "x": span.start, "text": span.label, "xanchor": "left"} for span in spans if span.label]
    annotations += [
        {**text, "x": note.x, "text": note.text, "font": {"size": 11}, "bgcolor": "rgba(255,255,255,0.7)"}
        for note in notes
    ]
    figure.update_layout(
        shapes=[*figure.layout.shapes, *shapes], annotations=[*figure.layout.annotations, *annotations]
    )
