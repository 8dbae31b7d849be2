"""Subject traces: the demo subjects' pupil recordings, one column per class, one panel per
subject (high, average and low outlier share): the ground-truth and the recorded trace, the
annotated outlier points, the light windows shaded, the outlier percentage in the title."""

from __future__ import annotations

import numpy as np
import pandas as pd

from plr_luigi.extraction.demo_subjects import OUTLIER_SHARE, SELECTION
from plr_luigi.extraction.subjects import CLASS_LABEL, PUBLIC_CODE
from plr_luigi.figures.pipeline_style import CLASS_COLOURS, CLASS_NAMES
from plr_luigi.figures.style import mark_synthetic, panel_title

LIGHT_COLOURS = {"Red": "#d73027", "Blue": "#4575b4"}


def light_windows(light: pd.DataFrame) -> list[tuple[str, float, float]]:
    """(light, start, end) of every stretch of time where a light is on (intensity > 0)."""
    windows = []
    time = light["time"].to_numpy(float)
    for column in LIGHT_COLOURS:
        on = light[column].to_numpy(float) > 0
        edges = np.flatnonzero(np.diff(np.concatenate([[0], on.astype(int), [0]])))
        windows += [(column, float(time[a]), float(time[b - 1]))
                    for a, b in zip(edges[::2], edges[1::2], strict=True)]
    return windows


def plot_demo_traces(subjects: pd.DataFrame, traces: pd.DataFrame, light: pd.DataFrame,
                     synthetic: bool):
    """subjects: demo_subjects.choose_demo_subjects output (controls first, each class high,
    average, low); traces and light: demo_subjects.read_traces output."""
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    by_class = [group for _, group in subjects.groupby(CLASS_LABEL, sort=True)]
    n_rows = max(len(g) for g in by_class)
    fig, axes = plt.subplots(n_rows, len(by_class), figsize=(11.0, 1.0 + 1.55 * n_rows),
                             sharex=True, squeeze=False, layout="constrained")
    windows = light_windows(light)
    for column, group in enumerate(by_class):
        for row, subject in enumerate(group.itertuples(index=False)):
            ax = axes[row, column]
            code, label = getattr(subject, PUBLIC_CODE), getattr(subject, CLASS_LABEL)
            for name, start, end in windows:
                ax.axvspan(start, end, color=LIGHT_COLOURS[name], alpha=0.1, linewidth=0)
            trace = traces[traces[PUBLIC_CODE] == code]
            flagged = trace["outlier_mask"] == 1
            ax.plot(trace["time"], trace["pupil_orig"], color="#9e9e9e", linewidth=0.6,
                    label="Recorded (raw)")
            ax.plot(trace["time"], trace["pupil_gt"], color="black", linewidth=0.9,
                    label="Ground truth")
            ax.plot(trace["time"][flagged], trace["pupil_orig"][flagged], ".", markersize=2,
                    color="#e08214", label="Outlier (annotated)")
            panel_title(ax, f"{code} ({CLASS_NAMES[label].lower()}, {getattr(subject, SELECTION)}"
                            f" outlier share): {100 * getattr(subject, OUTLIER_SHARE):.1f} % "
                            "outliers", fontsize=8, loc="left", color=CLASS_COLOURS[label])
            ax.grid(alpha=0.3)
            if column == 0:
                ax.set_ylabel("Pupil size")
        for row in range(len(group), n_rows):
            axes[row, column].set_visible(False)
    for ax in axes[-1]:
        ax.set_xlabel("Time (s)")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    handles += [Patch(color=colour, alpha=0.25) for colour in LIGHT_COLOURS.values()]
    labels += [f"{name} light on" for name in LIGHT_COLOURS]
    fig.legend(handles, labels, loc="outside lower center", ncols=5, fontsize=8, frameon=False)
    fig.suptitle(f"Pupillary light reflex of {len(subjects)} demo subjects (anonymised codes): "
                 "per class the highest, average and lowest outlier shares", fontsize=10,
                 x=0.02, ha="left")
    if synthetic:
        mark_synthetic(fig)
    return fig
