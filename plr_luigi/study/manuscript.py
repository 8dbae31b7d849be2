"""The published manuscript's items (configs/manuscript.yaml): which output draws which figure
or table, over which population, with which statistic; and the outputs the manuscript does not
have (extended outputs).

The figure and table code reads an item's definition here, and every output's JSON names its
item, so a reader finds a figure's definition in one place and the report page orders outputs
as the manuscript does."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from plr_luigi.study.configs import CONFIGS_DIR, load_yaml

MANUSCRIPT_CONFIG_PATH = CONFIGS_DIR / "manuscript.yaml"
EXTENDED = "extended"


@dataclass(frozen=True)
class ManuscriptItem:
    item: str  # "Fig 2", "S3", "T6", ...
    title: str
    outputs: tuple[str, ...]  # stems of the files that draw it
    population: str
    population_levels: dict[str, object]
    grouping: str
    statistic: str
    differences: tuple[dict[str, str], ...] = field(default=())
    # The standard pipelines (configs/pipelines.yaml names) a panel shows, where the item
    # names them (Fig 4 B: four of them); empty: every standard pipeline.
    pipelines: tuple[str, ...] = field(default=())
    # What its outputs are: a figure and a table may share a stem (variance_decomposition).
    kind: str = "figure"


@lru_cache(maxsize=4)
def _load_manuscript_config(path: Path) -> dict:
    # Parsed once per process, as configs.py does for the other configs: the numbers alone
    # ask for a population some thirty times (~0.07 s a parse).
    return load_yaml(path)


@lru_cache(maxsize=4)
def load_manuscript_items(path: Path = MANUSCRIPT_CONFIG_PATH) -> tuple[ManuscriptItem, ...]:
    """The items in the manuscript's order."""
    config = _load_manuscript_config(path)
    populations = config["populations"]
    items = []
    for entry in config["items"]:
        if entry["population"] not in populations:
            raise ValueError(f"{path}: {entry['item']} names an unknown population "
                             f"{entry['population']!r}; known: {sorted(populations)}")
        items.append(ManuscriptItem(
            item=entry["item"], title=entry["title"], outputs=tuple(entry["outputs"]),
            population=entry["population"],
            population_levels=dict(populations[entry["population"]]),
            grouping=entry["grouping"], statistic=entry["statistic"],
            differences=tuple(entry.get("differences", ())),
            pipelines=tuple(entry.get("pipelines", ())), kind=entry.get("kind", "figure")))
    claimed = [(item.kind, stem) for item in items for stem in item.outputs]
    repeated = sorted({stem for kind, stem in claimed if claimed.count((kind, stem)) > 1})
    if repeated:
        raise ValueError(f"{path}: outputs named by two items: {repeated}")
    return tuple(items)


def item_of_output(stem: str, kind: str = "figure") -> ManuscriptItem | None:
    """The item an output (a figure's, table's or the numbers' stem) draws; None for an
    extended output."""
    return next((item for item in load_manuscript_items()
                 if stem in item.outputs and item.kind == kind), None)


def manuscript_fields(stem: str, kind: str = "figure") -> dict[str, object]:
    """What an output's JSON says of its place in the manuscript: the item ("Fig 2") or
    "extended", and for an item its population and definition."""
    item = item_of_output(stem, kind)
    if item is None:
        return {"manuscript_item": EXTENDED}
    return {"manuscript_item": item.item, "population": item.population,
            "population_levels": item.population_levels, "grouping": item.grouping,
            "statistic": item.statistic}


def load_population(name: str, path: Path = MANUSCRIPT_CONFIG_PATH) -> dict[str, str]:
    """The factor levels of a population of configs/manuscript.yaml (`catboost_handcrafted`:
    {classifier: CatBoost, featurization: simple1.0})."""
    return dict(_load_manuscript_config(path)["populations"][name])
