"""Light protocol and the pupil traces of the demo subjects."""

from __future__ import annotations

import pandas as pd

from plr_luigi.extraction.demo_subjects import OUTLIER_SHARE, SELECTION
from plr_luigi.extraction.subjects import CLASS_LABEL, PUBLIC_CODE
from plr_luigi.figures.pipeline_curves import CLASS_COLOURS, CLASS_NAMES
from plr_luigi.figures.style import mark_synthetic

LIGHT_COLOURS = {"Red": "#d73027", "Blue": "#4575b4"}


def plot_demo_traces(subjects: pd.DataFrame, traces: pd.DataFrame, light: pd.DataFrame,
                     synthetic: bool):
    """subjects: plr_luigi.demo_subjects.choose_demo_subjects output (controls first); traces
    and light: plr_luigi.demo_subjects.read_traces output. Top: the light protocol; below, one
    column per class, one panel per subject: ground-truth pupil, recorded pupil, outliers."""
    import matplotlib.pyplot as plt

    by_class = [group for _, group in subjects.groupby(CLASS_LABEL, sort=True)]
    n_rows = max(len(g) for g in by_class)
    mosaic = [["light"] * len(by_class)] + [
        [g[PUBLIC_CODE].iloc[i] if i < len(g) else "." for g in by_class] for i in range(n_rows)]
    fig, axes = plt.subplot_mosaic(mosaic, figsize=(10.0, 2.0 + 1.55 * n_rows),
                                   layout="constrained", height_ratios=[0.8] + [1.0] * n_rows)
    # The light panel spans both columns, so it keeps its own time axis; subject panels share.
    first = axes[subjects[PUBLIC_CODE].iloc[0]]
    for code in subjects[PUBLIC_CODE].iloc[1:]:
        axes[code].sharex(first)
    ax = axes["light"]
    for column, colour in LIGHT_COLOURS.items():
        ax.plot(light["time"], light[column], color=colour, label=f"{column} light")
    ax.set_ylabel("Intensity\n(relative)")
    ax.set_xlabel("Time (s)")
    ax.set_title("Light protocol", fontsize=9, loc="left")
    ax.legend(loc="upper left", fontsize=8, frameon=False)
    for subject in subjects.itertuples(index=False):
        code = getattr(subject, PUBLIC_CODE)
        ax = axes[code]
        trace = traces[traces[PUBLIC_CODE] == code]
        flagged = trace["outlier_mask"] == 1
        ax.plot(trace["time"], trace["pupil_orig"], color="#bdbdbd", linewidth=0.6,
                label="Recorded")
        ax.plot(trace["time"], trace["pupil_gt"], color="black", linewidth=0.9,
                label="Ground truth")
        ax.plot(trace["time"][flagged], trace["pupil_orig"][flagged], ".", markersize=2,
                color="#e08214", label="Outlier (annotated)")
        label = getattr(subject, CLASS_LABEL)
        ax.set_title(f"{code} ({CLASS_NAMES[label].lower()}, {getattr(subject, SELECTION)} "
                     f"outlier share: {100 * getattr(subject, OUTLIER_SHARE):.1f}%)",
                     fontsize=8, loc="left", color=CLASS_COLOURS[label])
        ax.set_ylabel("Pupil size")
        ax.grid(alpha=0.3)
    bottom = {code for code in mosaic[-1] if code != "."}
    for code in subjects[PUBLIC_CODE]:
        if code in bottom:
            axes[code].set_xlabel("Time (s)")
        else:  # the column's time axis is labelled once, at its bottom
            axes[code].tick_params(labelbottom=False)
    handles, labels = axes[subjects[PUBLIC_CODE].iloc[0]].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=3, fontsize=8, frameon=False)
    fig.suptitle("Pupillary light reflex of the demo subjects (anonymised codes)", fontsize=10,
                 x=0.02, ha="left")
    if synthetic:
        mark_synthetic(fig)
    return fig
