"""configs/manuscript.yaml: every manuscript item once, in order, each naming its outputs once."""

import pytest

from plr_luigi.study.manuscript import (
    EXTENDED,
    item_of_output,
    load_manuscript_items,
    manuscript_fields,
)


def test_the_items_are_in_the_manuscripts_order_and_name_their_definitions():
    items = load_manuscript_items()
    names = [item.item for item in items]
    figures = [n for n in names if n.startswith("Fig ")]
    assert figures == [f"Fig {i}" for i in range(1, 8)]
    assert names.index("Fig 7") < names.index("S1")
    for item in items:
        assert item.outputs and item.title and item.statistic and item.grouping


def test_an_output_names_its_item_or_says_it_is_extended():
    assert manuscript_fields("forest_outlier_method")["manuscript_item"] == "Fig 2"
    assert manuscript_fields("forest_outlier_method")["population_levels"] == {
        "classifier": "CatBoost", "featurization": "simple1.0"}
    assert manuscript_fields("heatmap_outlier_imputation") == {"manuscript_item": EXTENDED}
    items = load_manuscript_items()
    ranks = [items.index(item_of_output(stem)) for stem in (
        "calibration_dca", "forest_outlier_method", "specification_curve")]
    assert ranks == sorted(set(ranks))
    assert item_of_output("heatmap_outlier_imputation") is None


def test_an_item_with_an_unknown_population_or_an_output_claimed_twice_is_refused(tmp_path):
    bad = tmp_path / "manuscript.yaml"
    entry = ("  - {item: Fig 1, title: t, outputs: [a], population: %s, grouping: g, "
             "statistic: s}\n")
    bad.write_text("populations: {all: {}}\nitems:\n" + entry % "nobody")
    with pytest.raises(ValueError, match="unknown population 'nobody'"):
        load_manuscript_items(bad)
    twice = tmp_path / "twice.yaml"
    twice.write_text("populations: {all: {}}\nitems:\n" + entry % "all" + entry % "all")
    with pytest.raises(ValueError, match=r"outputs named by two items: \['a'\]"):
        load_manuscript_items(twice)


def test_fig_4_names_the_four_standard_pipelines_of_its_panel_b():
    from plr_luigi.study.configs import load_standard_pipelines
    from plr_luigi.study.manuscript import item_of_output

    fig4 = item_of_output("probability_distributions")
    assert fig4.item == "Fig 4" and len(fig4.pipelines) == 4
    assert set(fig4.pipelines) <= set(load_standard_pipelines())
    assert item_of_output("calibration_dca").item == "Fig 1"
    assert item_of_output("roc_risk_coverage").item == "S1"
    assert item_of_output("calibration_dca").pipelines == ()  # every standard pipeline


def test_the_tables_follow_the_figures_in_order_and_each_table_names_its_item():
    from plr_luigi.tasks.catalog import manuscript_outputs
    from plr_luigi.tasks.output_base import TexTableOutput

    names = [item.item for item in load_manuscript_items()]
    tables = [n for n in names if n.startswith("T")]
    assert tables == [f"T{i}" for i in range(1, 10)]
    figures = [n for n in names if not n.startswith("T") and n != "Numbers"]
    assert max(names.index(n) for n in figures) < names.index("T1") < names.index("Numbers")
    stems = {task.table_name() for task in manuscript_outputs()
             if isinstance(task, TexTableOutput)}
    for item in load_manuscript_items():
        assert (item.kind == "table") == (item.item in tables), item.item
        if item.kind == "table":
            assert set(item.outputs) <= stems, item.item
    assert manuscript_fields("by_classifier", "table")["population_levels"] == {
        "featurization": "simple1.0"}
    # A table sharing a figure's stem is not the figure's item: Fig 6 is the figure only.
    assert manuscript_fields("variance_decomposition")["manuscript_item"] == "Fig 6"
    assert manuscript_fields("variance_decomposition", "table") == {"manuscript_item": EXTENDED}


def test_the_docs_table_lists_every_item_with_its_outputs_and_every_extended_output():
    from pathlib import Path

    from plr_luigi.tasks.catalog import manuscript_outputs
    from plr_luigi.tasks.output_base import FigureOutput, TexTableOutput

    docs = (Path(__file__).parents[2] / "docs" / "manuscript-items.md").read_text()
    rows = {line.split(" | ")[0].removeprefix("| ").split(":")[0]: line
            for line in docs.splitlines() if line.startswith("| ")}
    for item in load_manuscript_items():
        assert item.item in rows, item.item
        assert all(stem in rows[item.item] for stem in item.outputs), item.item
        assert all(d["published"].split()[0] in rows[item.item] for d in item.differences)
    extended = [f"`figures/{task.figure_name()}`" for task in manuscript_outputs()
                if isinstance(task, FigureOutput) and item_of_output(task.figure_name()) is None]
    extended += [f"`tables/{task.table_name()}`" for task in manuscript_outputs()
                 if isinstance(task, TexTableOutput)
                 and item_of_output(task.table_name(), "table") is None]
    assert extended and all(output in docs for output in extended), extended
