"""NumbersTex: every number the manuscript's text quotes, one LaTeX macro each (numbers.tex), and
its JSON twin (numbers.json)."""

from __future__ import annotations

import luigi

from plr_luigi.database.provenance import is_synthetic
from plr_luigi.tasks.interpretation import InterpretationOutput
from plr_luigi.tasks.output_base import subset_for
from plr_luigi.tasks.settings import plr


class NumbersTex(InterpretationOutput):
    """Reads the results database and, where it exists, the interpretation database; writes
    numbers.tex, one macro per number the text quotes, and its JSON twin numbers.json."""

    task_namespace = "numbers"

    def output(self):
        from plr_luigi.analysis.twins import twin_paths

        return {kind: luigi.LocalTarget(str(path))
                for kind, path in twin_paths(plr().output_path("numbers.tex")).items()}

    def run(self):
        from plr_luigi.analysis import figure_number_specs, manuscript_numbers, number_macros
        from plr_luigi.analysis.preprocessing_quality import quality_number_specs
        from plr_luigi.analysis.twins import write_with_twin
        from plr_luigi.database.provenance import provenance_line
        from plr_luigi.database.queries import find_pipelines
        from plr_luigi.study.configs import load_figure_config, load_standard_pipelines

        figures = load_figure_config()
        cd, ci = figures["critical_difference"], figures["reference_auroc_ci"]
        with self.database() as (con, provenance):
            specs = number_macros.number_specs(number_macros.classifiers_in(con), cd["top_n"],
                                               cd["alpha"])
            specs += quality_number_specs(subset_for(""))
            catboost = figure_number_specs.catboost_pipelines(load_standard_pipelines())
            found = set(find_pipelines(con, catboost)[0]["pipeline"])
            specs += figure_number_specs.instability_specs(
                {name: spec for name, spec in catboost.items() if name in found})
            specs += figure_number_specs.raincloud_specs(figures["raincloud_metrics"])
            specs += manuscript_numbers.manuscript_specs(load_standard_pipelines(), ci[0])
            values = number_macros.compute_numbers(con, specs)
        values += manuscript_numbers.benchmark_numbers(figures["reference_auroc"], ci)
        values += self.interpretation_numbers(catboost)
        write_with_twin(self.published_files(), number_macros.render_numbers_tex(
            values, is_synthetic(provenance), provenance_line(provenance)),
            number_macros.numbers_twin(values, is_synthetic(provenance), provenance))

    def interpretation_numbers(self, pipelines: dict[str, dict]) -> list[dict]:
        """SHAP and VIF numbers of the standard CatBoost pipelines, and events per variable
        (its features are the VIF rows'); n/a with the reason without an interpretation
        database."""
        from plr_luigi.analysis import number_macros
        from plr_luigi.analysis.interpretation_summary import interpretation_number_specs
        from plr_luigi.analysis.manuscript_numbers import events_per_variable_specs
        from plr_luigi.study.configs import load_model_config
        from plr_luigi.study.unavailable import DataUnavailableError

        specs = interpretation_number_specs(pipelines,
                                            load_model_config()["shap"]["vif_threshold"])
        specs += events_per_variable_specs()
        try:
            with self.interpretation() as (con, _):
                return number_macros.compute_numbers(con, specs)
        except DataUnavailableError as unavailable:
            return number_macros.unavailable_numbers(specs, str(unavailable))
