"""What every output task shares: the database it reads, the stamp that says what it was built
from, atomic writing of text and figures, and the comparison subset of configs/figures.yaml."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import logging
from functools import lru_cache
from pathlib import Path

import luigi

from plr_luigi.database.provenance import is_synthetic
from plr_luigi.database.results_database import (
    connect_read_only,
    read_provenance,
    read_provenance_of,
)
from plr_luigi.filesystem.atomic import atomic_paths
from plr_luigi.study import schema
from plr_luigi.study.configs import CONFIGS_DIR
from plr_luigi.study.manuscript import item_of_output, manuscript_fields
from plr_luigi.study.unavailable import (
    UNAVAILABLE_SUFFIX,
    DataUnavailableError,
    unavailable_status,
)
from plr_luigi.tasks.base import RunOnceTask
from plr_luigi.tasks.merge import MergeToDuckDB
from plr_luigi.tasks.settings import plr

logger = logging.getLogger(__name__)

# Configuration files whose edits make every output stale (factors.yaml acts through the
# database: it decides which runs are extracted; manuscript.yaml gives each item its
# population).
STAMPED_CONFIGS = ("figures.yaml", "pipelines.yaml", "manuscript.yaml")


class DatabaseOutput(RunOnceTask):
    """Base of the output tasks: requires the database (and whatever a subclass adds), opens it
    read-only.

    Complete while its files exist, every requirement is complete (the database: built from the
    store's current runs) and the stamp written after its last run names the same database
    content and the same figure/pipeline configuration: a rebuilt database or an edited config
    makes it stale.

    An output the data cannot support (its computation raises DataUnavailableError) is recorded as
    unavailable with the reason, by write_unavailable, and the task succeeds: one output the
    store's shape rules out never takes the others down. Any other error is a defect and fails.
    """

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "run" in cls.__dict__:
            cls.run = _unavailable_when_data_cannot_support(cls.__dict__["run"])

    def write_unavailable(self, reason: str) -> None:
        """Record this output as unavailable; an output without a degraded form fails."""
        raise DataUnavailableError(reason)

    def published_files(self) -> dict[str, Path] | Path:
        """The files this output consists of now, as the report page shows them."""
        targets = self.output()
        if isinstance(targets, dict):
            return {k: Path(t.path) for k, t in targets.items()}
        return Path(targets.path)

    def outputs_exist(self) -> bool:
        return luigi.Task.complete(self)

    def requires(self):
        return MergeToDuckDB()

    @staticmethod
    def database_path() -> Path:
        return Path(MergeToDuckDB().output().path)

    @contextlib.contextmanager
    def database(self):
        con = connect_read_only(self.database_path())
        try:
            yield con, read_provenance(con)
        finally:
            con.close()

    def stamp_path(self) -> Path:
        return plr().output_path(".stamps", f"{self.task_id}.json")

    def side_files(self) -> list[Path]:
        """The files it writes besides its targets (what `plr-luigi gc` keeps): its stamp."""
        return [self.stamp_path()]

    def current_stamp(self) -> dict[str, str]:
        provenance = read_provenance_of(self.database_path())
        # The database's content, not its file: a merge repeated on the same runs (two workers
        # racing on luigid can both run it) gives the same digest and keeps outputs current.
        return {"database": provenance[schema.PROV_INVENTORY_DIGEST], "configs": configs_digest()}

    def complete(self):
        if not self.outputs_exist():
            return False
        if not all(task.complete() for task in luigi.task.flatten(self.requires())):
            return False
        try:
            recorded = json.loads(self.stamp_path().read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError):
            return False
        return recorded == self.current_stamp()


def _unavailable_when_data_cannot_support(run):
    @functools.wraps(run)
    def run_or_record_unavailable(self):
        try:
            return run(self)
        except DataUnavailableError as unavailable:
            logger.warning("%r: unavailable: %s", self, unavailable)
            self.write_unavailable(str(unavailable))
            return None

    return run_or_record_unavailable


@DatabaseOutput.event_handler(luigi.Event.SUCCESS)
def _write_stamp(task: DatabaseOutput) -> None:
    """After a successful run, record what the outputs were built from (see DatabaseOutput).
    A kill before this leaves outputs without a stamp: stale, so rebuilt, never trusted."""
    if not luigi.task.flatten(task.output()):
        return
    stamp = json.dumps(task.current_stamp())
    path = task.stamp_path()
    if path.is_file() and path.read_text(encoding="utf-8") == stamp:
        return  # unchanged: rewriting would only make the public files look changed
    with atomic_paths({"stamp": path}) as tmp:
        tmp["stamp"].write_text(stamp, encoding="utf-8")


@lru_cache(maxsize=1)
def configs_digest() -> str:
    """The configuration files outputs are drawn with (STAMPED_CONFIGS)."""
    digest = hashlib.sha256()
    for name in STAMPED_CONFIGS:
        digest.update((CONFIGS_DIR / name).read_bytes())
    return digest.hexdigest()[:16]


def subset_for(factor: str) -> dict[str, str]:
    """The comparison subset (figures.yaml) without the factor being compared."""
    from plr_luigi.study.configs import load_figure_config

    subset = load_figure_config()["comparison_subset"]
    return {f: level for f, level in subset.items() if f != factor}


def subset_label(subset: dict[str, str]) -> str:
    from plr_luigi.study.display import display_name

    return ", ".join(display_name(f, level) for f, level in subset.items()) or "all"


def write_text(target: luigi.LocalTarget, text: str) -> None:
    """Written atomically (a full disk named: plr_luigi.filesystem.atomic)."""
    with atomic_paths({"text": Path(target.path)}) as tmp:
        tmp["text"].write_text(text, encoding="utf-8")


# Every file a figure may have.
FIGURE_EXTENSIONS = ("png", "pdf", "json")


def figure_extensions() -> tuple[str, ...]:
    """The files a figure is drawn to: its PNG (the report page shows it) and JSON, and its
    PDF unless [plr] figure_pdf is off."""
    return FIGURE_EXTENSIONS if plr().figure_pdf else ("png", "json")


def figure_dpi() -> int:
    """The resolution the PNGs are drawn at: [plr] figure_dpi, else configs/figures.yaml's."""
    from plr_luigi.study.configs import load_figure_config

    return plr().figure_dpi or load_figure_config()["dpi"]


def figure_data(name: str, query: str, provenance: dict[str, str], data, **extra) -> dict:
    """The JSON written beside a figure: what it is (its manuscript item, or extended), where
    its numbers came from, and exactly the data it plots (`data`)."""
    return {"figure": name, **manuscript_fields(name), "query": query,
            "synthetic": is_synthetic(provenance), "provenance": provenance,
            "dpi": figure_dpi(), **extra, "data": data}


class FigureOutput(DatabaseOutput):
    """Base of the figure tasks: PNG, PDF and JSON under figures/, named by figure_name(); or,
    when the data cannot support the figure, only {name}.unavailable.json with the reason (as
    DemoTraces without a source database), never a PNG that looks like the figure."""

    task_namespace = "figures"

    def figure_name(self) -> str:
        raise NotImplementedError

    def output(self):
        stem = plr().output_path("figures", self.figure_name())
        return {ext: luigi.LocalTarget(f"{stem}.{ext}") for ext in figure_extensions()}

    def unavailable_path(self) -> Path:
        return plr().output_path("figures", f"{self.figure_name()}{UNAVAILABLE_SUFFIX}")

    def side_files(self) -> list[Path]:
        return [*super().side_files(), self.unavailable_path()]

    def outputs_exist(self) -> bool:
        return self.unavailable_path().is_file() or super().outputs_exist()

    def published_files(self) -> dict[str, Path]:
        if self.unavailable_path().is_file():
            return {"status": self.unavailable_path()}
        return super().published_files()

    def published_provenance(self) -> dict[str, str]:
        """The provenance its JSON records: the database's it was drawn from."""
        return read_provenance_of(self.database_path())

    def write_unavailable(self, reason: str) -> None:
        provenance = self.published_provenance()
        status = {**unavailable_status(reason), "figure": self.figure_name(),
                  **manuscript_fields(self.figure_name()),
                  "synthetic": is_synthetic(provenance), "provenance": provenance}
        with atomic_paths({"status": self.unavailable_path()}) as tmp:
            tmp["status"].write_text(json.dumps(status, indent=1, default=str), encoding="utf-8")
        stem = Path(self.output()["json"].path)
        for ext in FIGURE_EXTENSIONS:  # a figure of earlier data is not this data's
            stem.with_suffix(f".{ext}").unlink(missing_ok=True)


class TexTableOutput(DatabaseOutput):
    """Base of the LaTeX table tasks: tables/{table_name()}.tex and its JSON twin; when the data
    cannot support the table, the .tex file says n/a and why (in a comment and in the text),
    so the manuscript still compiles, and the twin gives the reason."""

    task_namespace = "tables"

    def table_name(self) -> str:
        raise NotImplementedError

    def output(self):
        from plr_luigi.analysis.twins import twin_paths

        tex = plr().output_path("tables", f"{self.table_name()}.tex")
        return {kind: luigi.LocalTarget(str(path)) for kind, path in twin_paths(tex).items()}

    def population(self) -> dict[str, object]:
        """The factor levels of the population of the manuscript item this table draws
        (configs/manuscript.yaml)."""
        item = item_of_output(self.table_name(), "table")
        if item is None:
            raise ValueError(f"table {self.table_name()} is no manuscript item's output")
        return item.population_levels

    def write_table(self, table) -> None:
        """Write table (a latex_tables.TableFile) and its twin, atomically as a pair; the twin
        names the table's manuscript item (or says it is extended), as a figure's JSON does."""
        from plr_luigi.analysis.twins import write_with_twin

        twin = table.twin()
        twin = {"table": twin.pop("table"), **manuscript_fields(self.table_name(), "table"), **twin}
        write_with_twin(self.published_files(), table.latex(), twin)

    def write_unavailable(self, reason: str) -> None:
        from plr_luigi.analysis.latex_tables import unavailable_table

        with self.database() as (_, provenance):
            self.write_table(unavailable_table(self.table_name(), reason,
                                               is_synthetic(provenance), self.task_family))


def _refuse_shown_codes(fig, name: str) -> None:
    """A figure whose titles, labels, tick labels or annotations show an original subject code
    is never saved: in a PNG that text is pixels, which the privacy audit cannot read back.
    Asked once the figure is drawn: a tick label's text is set by its formatter only then."""
    from matplotlib.text import Text

    from plr_luigi.study.subject_codes import ORIGINAL_CODE

    if any(ORIGINAL_CODE.search(text.get_text()) for text in fig.findobj(Text)):
        raise ValueError(f"figure {name} shows an original subject code in a text of its own; "
                         "figures name subjects by their public codes only")


@contextlib.contextmanager
def _laid_out_for(fig, canvas_class, dpi: float):
    """The figure laid out once by its layout engine, with the text metrics of the canvas that
    saves the format (Agg hints glyphs at the PNG's dpi, the PDF backend measures unhinted at
    72 dpi: the two layouts differ), the engine off meanwhile.

    savefig on its own draws a figure with a layout engine twice: a draw with rendering disabled
    that lays it out, then the drawing; laying out here, savefig draws once. The positions are
    exactly savefig's own (the same engine, renderer and dpi)."""
    engine, canvas, own_dpi = fig.get_layout_engine(), fig.canvas, fig.dpi
    if engine is None:
        yield
        return
    if not isinstance(canvas, canvas_class):
        canvas_class(fig)  # attaches itself: the layout asks the figure's canvas for a renderer
    try:
        fig.set_dpi(dpi)
        engine.execute(fig)
    finally:
        fig.set_canvas(canvas)
        fig.set_dpi(own_dpi)
    fig.set_layout_engine(None)
    try:
        yield
    finally:
        fig.set_layout_engine(engine)


def save_figure(fig, data: dict, targets: dict[str, luigi.LocalTarget]) -> None:
    """PNG, PDF (when targets has one) and the JSON of the plotted data, each written
    atomically; each format laid out once (_laid_out_for). Without a PDF target, the PDF an
    earlier build drew beside the PNG is removed: it shows earlier data."""
    import matplotlib.pyplot as plt
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.backends.backend_pdf import FigureCanvasPdf

    png_dpi = figure_dpi()
    with atomic_paths({k: Path(t.path) for k, t in targets.items()}) as paths:
        with _laid_out_for(fig, FigureCanvasAgg, png_dpi):
            fig.savefig(paths["png"], dpi=png_dpi, format="png")
        _refuse_shown_codes(fig, Path(targets["png"].path).stem)  # nothing renamed in place yet
        if "pdf" in paths:
            with _laid_out_for(fig, FigureCanvasPdf, 72):  # PDF: 72 points to the inch
                fig.savefig(paths["pdf"], format="pdf")
        Path(paths["json"]).write_text(json.dumps(data, indent=1, default=str), encoding="utf-8")
    plt.close(fig)
    stem = Path(targets["json"].path)
    stem.with_name(f"{stem.stem}{UNAVAILABLE_SUFFIX}").unlink(missing_ok=True)  # earlier data's
    if "pdf" not in targets:
        stem.with_suffix(".pdf").unlink(missing_ok=True)
