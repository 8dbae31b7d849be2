"""Finding targets no task needs (plr-luigi gc) on small folders."""

from __future__ import annotations

from pathlib import Path

from plr_luigi.task_graph.garbage import find_garbage


def _touch(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("x")
    return path


def test_old_fingerprints_gone_runs_and_retired_outputs_are_found_and_nothing_else(tmp_path):
    runs, outputs = tmp_path / "data" / "interim" / "runs", tmp_path / "outputs"
    current = [runs / "run1" / "fp_new", runs / "run2" / "fp"]
    for folder in [*current, runs / "run1" / "fp_old", runs / "gone" / "fp"]:
        _touch(folder / "record.json")
    figure = _touch(outputs / "figures" / "forest.png")
    stamp = _touch(outputs / ".stamps" / "Forest.json")
    retired = _touch(outputs / "figures" / "retired.png")
    picture = _touch(outputs / "graph" / "task_graph.svg")
    found = find_garbage(needed=[*current, figure, stamp], runs_roots=[runs],
                         output_dir=outputs, kept_outputs=[outputs / "graph"], protected=[])
    assert found == [runs / "gone", runs / "run1" / "fp_old", retired]
    assert picture.exists()


def test_nothing_inside_or_around_a_protected_path_is_listed(tmp_path):
    """A store kept in the data folder (luigi.cfg's default data/synthetic/mlruns) or inside a
    runs root by mistake is never a candidate."""
    runs = tmp_path / "runs"
    store_in_a_run = _touch(runs / "run1" / "mlruns" / "meta.yaml").parent
    _touch(runs / "run2" / "fp" / "record.json")
    found = find_garbage(needed=[], runs_roots=[runs], output_dir=tmp_path / "none",
                         kept_outputs=[], protected=[store_in_a_run])
    assert found == [runs / "run2"]
