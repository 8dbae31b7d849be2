"""luigi.cfg overridden for in-process builds: a test points the [plr] settings at its own
store and folders, and everything is restored afterwards."""

from __future__ import annotations

import contextlib

import luigi

# The resolution the PNGs of the tests' own builds are drawn at ([plr] figure_dpi, instead of
# configs/figures.yaml's 200): what these tests check is which outputs are built or marked
# unavailable, their data and their text, never the pixels at the published resolution.
DRAFT_FIGURE_DPI = 40
# How the tests' builds of their own throwaway stores draw figures: at DRAFT_FIGURE_DPI and
# without a PDF beside each PNG ([plr] figure_pdf; the PDFs were ~25 % of such a build). The
# template build (tests/support/templates.py) draws them: the tests that read a figure's PDF
# or its published resolution read the template's.
DRAFT_FIGURES = {"figure_dpi": DRAFT_FIGURE_DPI, "figure_pdf": "false"}


@contextlib.contextmanager
def luigi_config(section: str, **values):
    """Set options of one luigi.cfg section for the block, then restore what was there."""
    config = luigi.configuration.get_config()
    previous = {k: config.get(section, k, None) for k in values}
    for key, value in values.items():
        config.set(section, key, str(value))
    try:
        yield
    finally:
        for key, value in previous.items():
            if value is None:
                config.remove_option(section, key)
            else:
                config.set(section, key, value)


@contextlib.contextmanager
def plr_settings(**values: str):
    """Override [plr] settings for in-process builds, restoring them afterwards (the run
    list is listed afresh on both sides: the store may have changed)."""
    from plr_luigi.tasks.store_listing import clear_run_decisions_cache

    clear_run_decisions_cache()
    try:
        with luigi_config("plr", **values):
            yield
    finally:
        clear_run_decisions_cache()


def build_settings(store, work) -> dict[str, str]:
    """[plr] settings of a build of a store (a synth summary) into work/data, work/outputs."""
    return dict(tracking_uri=store.tracking_uri, source_db=str(store.source_db),
                data_dir=str(work / "data"), output_dir=str(work / "outputs"))
