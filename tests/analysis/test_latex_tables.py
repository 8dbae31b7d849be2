"""LaTeX tables: text cells are escaped whatever dtype pandas gives text columns."""

from __future__ import annotations

import pandas as pd

from plr_luigi.analysis.latex_tables import top_pipelines_latex


def test_top_pipelines_escape_underscores_and_ampersands_in_text_cells():
    frame = pd.DataFrame({"outlier_method": ["odd_level"], "imputation_method": ["A&B"],
                          "classifier": ["CatBoost"], "featurization": ["simple1.0"],
                          "auroc": [0.9], "auroc_ci_lo": [0.88], "auroc_ci_hi": [0.92]})
    tex = top_pipelines_latex(frame, synthetic=False, label="tab:top")
    assert r"odd\_level" in tex and r"A\&B" in tex
    assert "odd_level" not in tex.replace(r"odd\_level", "")
    assert "0.880--0.920" in tex
