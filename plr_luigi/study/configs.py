"""The project's configuration files (configs/*.yaml), loaded once per process.

The one loader of configs/: analysis, tables, tasks and figures read it through here, so
none of them needs a plotting import to know a display name or a setting.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

CONFIGS_DIR = Path(__file__).resolve().parent.parent.parent / "configs"
FACTOR_REGISTRY_PATH = CONFIGS_DIR / "factors.yaml"
FIGURE_CONFIG_PATH = CONFIGS_DIR / "figures.yaml"
PIPELINES_CONFIG_PATH = CONFIGS_DIR / "pipelines.yaml"
MODELS_CONFIG_PATH = CONFIGS_DIR / "models.yaml"


def load_yaml(path: Path) -> dict:
    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


@lru_cache(maxsize=4)
def load_figure_config(path: Path = FIGURE_CONFIG_PATH) -> dict:
    return load_yaml(path)


@lru_cache(maxsize=4)
def load_standard_pipelines(path: Path = PIPELINES_CONFIG_PATH) -> dict[str, dict[str, str]]:
    """name -> label, category and the four factor levels, in the file's order."""
    return load_yaml(path)["standard_pipelines"]


def standard_pipeline_configurations() -> dict[str, tuple[str, str, str, str]]:
    """name -> (outlier_method, imputation_method, classifier, featurization) of each standard
    pipeline: the configuration a run must have to be that pipeline."""
    return {name: (spec["outlier_method"], spec["imputation_method"], spec["classifier"],
                   spec["featurization"]) for name, spec in load_standard_pipelines().items()}


@lru_cache(maxsize=4)
def load_model_config(path: Path = MODELS_CONFIG_PATH) -> dict:
    """The model pickles' accepted class path, the SHAP configurations and rules
    (configs/models.yaml)."""
    return load_yaml(path)
