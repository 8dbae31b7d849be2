"""The main-text figures 3 (multi-metric raincloud) and 7 (prediction instability): each reads
the results database and writes one figure (PNG, PDF, JSON)."""

from __future__ import annotations

import logging

from plr_luigi.database.provenance import is_synthetic
from plr_luigi.tasks.output_base import FigureOutput, figure_data, save_figure

logger = logging.getLogger(__name__)


def _use_agg() -> None:
    import matplotlib

    matplotlib.use("Agg")


class PredictionInstability(FigureOutput):
    """Reads prediction_instability for the standard CatBoost pipelines; writes each test
    subject's bootstrap predictions against their mean, one panel per pipeline."""

    def figure_name(self) -> str:
        return "prediction_instability"

    def run(self):
        _use_agg()
        from plr_luigi.analysis.figure_numbers import catboost_pipelines
        from plr_luigi.database import queries
        from plr_luigi.figures.instability import (
            mean_interval_widths,
            plot_prediction_instability,
        )
        from plr_luigi.study import schema
        from plr_luigi.study.configs import load_standard_pipelines

        pipelines = catboost_pipelines(load_standard_pipelines())
        with self.database() as (con, provenance):
            rows, found, missing = queries.standard_pipeline_rows(
                con, schema.PREDICTION_INSTABILITY, ("subject_code",), pipelines)
        if missing:
            logger.warning("prediction instability: pipelines not in the database: %s", missing)
        fig = plot_prediction_instability(rows, pipelines, missing, is_synthetic(provenance))
        save_figure(fig, figure_data(self.figure_name(), "queries.standard_pipeline_rows",
                                     provenance, rows.to_dict(orient="records"),
                                     table=schema.PREDICTION_INSTABILITY.name,
                                     pipelines=found.to_dict(orient="records"),
                                     missing_pipelines=missing,
                                     mean_interval_width=mean_interval_widths(rows)),
                    self.output())


class MetricRaincloud(FigureOutput):
    """Reads essential metrics; writes the raincloud of AUROC, Brier, calibration slope, O:E
    and net benefit over all configurations, by factor level."""

    def figure_name(self) -> str:
        return "metric_raincloud"

    def run(self):
        _use_agg()
        from plr_luigi.database import queries
        from plr_luigi.figures.raincloud import plot_metric_raincloud
        from plr_luigi.study.configs import load_figure_config

        metrics = load_figure_config()["raincloud_metrics"]
        with self.database() as (con, provenance):
            frame = queries.configuration_metrics(con, list(metrics))
        fig = plot_metric_raincloud(frame, metrics, is_synthetic(provenance))
        save_figure(fig, figure_data(self.figure_name(), "queries.configuration_metrics",
                                     provenance, frame.to_dict(orient="records"), subset={},
                                     metrics=metrics), self.output())
