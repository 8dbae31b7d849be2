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


def test_a_code_shown_as_a_tick_label_is_refused_too(tmp_path):
    # A categorical axis's tick labels get their text from the formatter when drawn, so a
    # check of the figure's texts before drawing it saw none of them.
    fig = _figure("subject G017")
    fig.axes[0].bar(["G017", "PLR1042"], [1, 2])
    with pytest.raises(ValueError, match="figure bars shows an original subject code"):
        save_figure(fig, {"data": []}, _targets(tmp_path, "bars"))
    assert list(tmp_path.iterdir()) == []


def test_a_figure_showing_public_codes_is_written_whole(tmp_path):
    save_figure(_figure("subject G017"), {"data": [1]}, _targets(tmp_path, "traces"))
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "traces.json", "traces.pdf", "traces.png"]
    assert json.loads((tmp_path / "traces.json").read_text()) == {"data": [1]}


def test_the_png_is_drawn_at_the_configured_resolution_and_its_json_says_which(tmp_path):
    from PIL import Image
    from support.settings import plr_settings

    from plr_luigi.study.configs import load_figure_config
    from plr_luigi.tasks.output_base import figure_data

    def drawn_at(name: str) -> tuple[float, int]:
        """(PNG pixels per inch of the figure, the JSON's dpi)."""
        fig = _figure("subject G017")
        width = fig.get_size_inches()[0]
        save_figure(fig, figure_data(name, "q", {"synthetic": "true"}, []),
                    _targets(tmp_path, name))
        with Image.open(tmp_path / f"{name}.png") as png:
            return png.size[0] / width, json.loads((tmp_path / f"{name}.json").read_text())["dpi"]

    published = load_figure_config()["dpi"]
    with plr_settings():  # figure_dpi = 0: configs/figures.yaml's
        assert drawn_at("published") == (published, published)
    with plr_settings(figure_dpi=40):
        assert drawn_at("draft") == (40, 40)


def test_without_a_pdf_target_no_pdf_is_drawn_and_an_earlier_one_is_removed(tmp_path):
    earlier = tmp_path / "traces.pdf"
    earlier.write_bytes(b"%PDF- of earlier data")
    targets = {ext: target for ext, target in _targets(tmp_path, "traces").items()
               if ext != "pdf"}
    save_figure(_figure("subject G017"), {"data": [1]}, targets)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["traces.json", "traces.png"]


def test_figure_pdf_off_leaves_the_pdf_out_of_every_figures_targets():
    from support.settings import plr_settings

    from plr_luigi.tasks.catalog import manuscript_outputs
    from plr_luigi.tasks.output_base import FigureOutput

    def extensions() -> set[tuple[str, ...]]:
        return {tuple(task.output()) for task in manuscript_outputs()
                if isinstance(task, FigureOutput)}

    with plr_settings():
        assert extensions() == {FIGURE_EXTENSIONS}
    with plr_settings(figure_pdf="false"):
        assert extensions() == {("png", "json")}
