"""What the standard-pipeline figures share: class colours and names, the legend below the
axes, and the note naming pipelines the database lacks."""

from __future__ import annotations

CLASS_COLOURS = {0: "#4d4d4d", 1: "#d6604d"}
CLASS_NAMES = {0: "Control", 1: "Glaucoma"}


def legend_below(fig, ax, ncols: int = 3) -> None:
    """Outside the axes: a legend inside would cover the curves it explains."""
    handles, labels = ax.get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=min(ncols, len(labels)),
               fontsize=8, frameon=False)


def title_with_missing(title: str, pipelines: dict[str, dict], missing: list[str]) -> str:
    """The figure's title, and on a second line the standard pipelines it cannot show."""
    if not missing:
        return title
    return title + "\nnot in the database: " + ", ".join(pipelines[m]["label"] for m in missing)


def population_sentence(pipelines: dict[str, dict], counts: dict[str, tuple[int, int]],
                        missing: list[str]) -> str:
    """What a standard-pipeline figure's caption says it plots: which pipelines, and the test
    subjects each one is drawn on. counts: pipeline -> (subjects, glaucoma) actually plotted."""
    counts = {name: counts[name] for name in pipelines if name in counts}
    shown = ", ".join(pipelines[name]["label"] for name in counts)
    text = (f"Population: the standard pipelines of configs/pipelines.yaml found in the "
            f"database ({len(counts)} of {len(pipelines)}: {shown})")
    if missing:
        text += "; not in the database: " + ", ".join(pipelines[m]["label"] for m in missing)
    sizes = set(counts.values())
    if len(sizes) == 1:
        n, events = sizes.pop()
        text += (f"; each drawn on its n = {n} test subjects ({n - events} control, "
                 f"{events} glaucoma).")
    else:
        text += "; test subjects drawn: " + ", ".join(
            f"{pipelines[name]['label']} n = {n} ({n - e} control, {e} glaucoma)"
            for name, (n, e) in counts.items()) + "."
    return text


def subject_counts(rows, label_column: str = "y_true") -> dict[str, tuple[int, int]]:
    """Per pipeline (rows with a `pipeline` column, one per subject): (subjects, glaucoma)."""
    return {name: (len(part), int(part[label_column].sum()))
            for name, part in rows.groupby("pipeline", sort=False)}
