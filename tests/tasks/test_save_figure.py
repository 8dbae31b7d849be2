"""save_figure: PNG, PDF and JSON written together, and never a figure that shows an original
subject code (in a PNG that text is pixels, which no audit can read back)."""

import json

import luigi
import pytest

from plr_luigi.tasks.output_base import FIGURE_EXTENSIONS, save_figure


def _figure(text: str):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    ax.annotate(text, (0.5, 0.5))
    return fig


def _targets(folder, name):
    return {ext: luigi.LocalTarget(str(folder / f"{name}.{ext}")) for ext in FIGURE_EXTENSIONS}


def test_a_figure_showing_an_original_code_is_refused_and_nothing_is_written(tmp_path):
    with pytest.raises(ValueError, match="figure traces shows an original subject code"):
        save_figure(_figure("subject PLR1042"), {"data": []}, _targets(tmp_path, "traces"))
    assert list(tmp_path.iterdir()) == []


def test_a_figure_showing_public_codes_is_written_whole(tmp_path):
    save_figure(_figure("subject G017"), {"data": [1]}, _targets(tmp_path, "traces"))
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "traces.json", "traces.pdf", "traces.png"]
    assert json.loads((tmp_path / "traces.json").read_text()) == {"data": [1]}
