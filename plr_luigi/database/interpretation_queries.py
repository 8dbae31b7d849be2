"""Read-only queries of the interpretation database, attached to a results-database connection
so that SHAP rows carry their configuration's levels and AUROC."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from plr_luigi.study import schema

ALIAS = "interpretation"
E = schema.ESSENTIAL
S = schema.SHAP_IMPORTANCE
V = schema.VIF
R = schema.SHAP_REPORT


def attach_interpretation(con, path: Path) -> None:
    """Attach the interpretation database read-only to a results-database connection."""
    con.execute(f"ATTACH '{str(path).replace(chr(39), chr(39) * 2)}' AS {ALIAS} (READ_ONLY)")


def shap_importance(con) -> pd.DataFrame:
    """Every shap_importance row with its configuration's levels, AUROC and selection."""
    return con.execute(
        f"SELECT s.*, e.{E.outlier_method}, e.{E.imputation_method}, e.{E.classifier}, "
        f"e.{E.featurization}, e.{E.auroc}, "
        f"r.{R.selection} FROM {ALIAS}.{S.name} s "
        f"JOIN {E.name} e USING ({E.config_id}) JOIN {ALIAS}.{R.name} r USING ({R.config_id}) "
        f"ORDER BY e.{E.auroc} DESC, s.{S.config_id}, s.{S.member_rule}, s.{S.feature}").df()


def vif(con) -> pd.DataFrame:
    return con.execute(f"SELECT * FROM {ALIAS}.{V.name} ORDER BY {V.config_id}, {V.feature}"
                       ).df()


def shap_report(con) -> pd.DataFrame:
    return con.execute(f"SELECT * FROM {ALIAS}.{R.name} ORDER BY {R.config_id}").df()


def interpretation_provenance(con) -> dict[str, str]:
    return dict(con.execute(f"SELECT key, value FROM {ALIAS}.{schema.PROVENANCE.name}"
                            ).fetchall())
