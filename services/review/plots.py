"""The measures page's plots: matplotlib drawn to SVG on the server (no JavaScript charting)."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")  # no display; must precede pyplot

import matplotlib.pyplot as plt

from shared.review.measures import CycleMeasures


def plot_cycles(measures: list[CycleMeasures]) -> str:
    """Four small panels, one per measure, over the cycles; an SVG document as text."""
    cycles = [m.cycle for m in measures]
    panels = [
        ("disagreement rate", [m.disagreement_rate for m in measures], (0.0, 1.0)),
        ("acceptance rate", [m.acceptance_rate for m in measures], (0.0, 1.0)),
        ("edits per record", [m.edits_per_record for m in measures], None),
        ("median seconds per review", [m.median_seconds or 0.0 for m in measures], None),
    ]
    figure, axes = plt.subplots(1, 4, figsize=(12, 2.8))
    try:
        for axis, (title, values, limits) in zip(axes, panels, strict=True):
            axis.plot(cycles, values, marker="o", color="#2b6cb0")
            axis.set_title(title, fontsize=10)
            axis.set_xlabel("review cycle", fontsize=8)
            axis.set_xticks(cycles)
            if limits:
                axis.set_ylim(*limits)
            else:
                axis.set_ylim(bottom=0)
            axis.grid(alpha=0.3)
            axis.tick_params(labelsize=8)
        figure.tight_layout()
        buffer = io.StringIO()
        figure.savefig(buffer, format="svg")
    finally:
        plt.close(figure)
    text = buffer.getvalue()
    return text[text.index("<svg") :]
