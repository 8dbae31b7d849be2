"""No secret and no private path in a public output (issue 20): a build against a real
`mlflow server` reached with user info in its URI publishes neither, and a token planted in a
figure's JSON fails the privacy audit naming the file."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import luigi
import pytest
from support.servers import mlflow_server_of
from support.settings import DRAFT_FIGURES, plr_settings
from support.store_shapes import store_of_runs
from support.stores import serve_artifacts_through_server

pytestmark = pytest.mark.slow


def _text_values(db: Path) -> list[str]:
    with duckdb.connect(str(db), read_only=True) as con:
        columns = con.execute("SELECT table_name, column_name FROM information_schema.columns "
                              "WHERE data_type = 'VARCHAR'").fetchall()
        return [value for table, column in columns for (value,) in con.execute(
            f'SELECT DISTINCT "{column}" FROM "{table}" WHERE "{column}" IS NOT NULL'
        ).fetchall()]


def test_a_build_with_credentials_in_the_uri_publishes_none_and_the_audit_finds_a_token(
        shared_dir, tmp_path):
    from plr_luigi.synth.design import run_spec
    from plr_luigi.synth.registry import load_levels
    from plr_luigi.tasks import PrivacyAudit, ReproduceAll

    # Two runs onto the upstream experiments of a seed the store-shape tests share, served by
    # a real `mlflow server` as runs logged through it are: every artifact is read over HTTP.
    runs = [run_spec(load_levels(), config, seed=5) for config in
            [("pupil-gt", "pupil-gt", "CatBoost", "simple1.0"),
             ("LOF", "SAITS", "CatBoost", "simple1.0")]]
    store = store_of_runs(shared_dir, tmp_path / "store", runs, seed=5, n_bootstrap=20,
                          model_pickle_bytes=1000)
    artifacts = serve_artifacts_through_server(store)
    with mlflow_server_of(tmp_path / "server", store.tracking_uri, artifacts) as uri:
        secret_uri = uri.replace("http://", "http://user:secret@")
        data, outputs = tmp_path / "data", tmp_path / "outputs"
        # Figures drafted (PNGs at a low resolution, no PDFs): what is checked is the text of
        # the files' bytes, which a figure shows none of the provenance in (the audit reads
        # PDFs too: tests/database/test_privacy_scan.py, and the template build's).
        with plr_settings(tracking_uri=secret_uri, source_db=str(store.source_db),
                          data_dir=str(data), output_dir=str(outputs), **DRAFT_FIGURES):
            result = luigi.build([ReproduceAll()], local_scheduler=True, detailed_summary=True)
            assert result.status == luigi.LuigiStatusCode.SUCCESS, result.summary_text

            values = _text_values(data / "public" / "plr_results.duckdb")
            assert f"http://127.0.0.1:{uri.rsplit(':', 1)[1]}" in values  # the provenance
            assert [v for v in values if "user:" in v or "secret" in v] == []
            files = [p for p in outputs.rglob("*") if p.is_file()]
            assert len(files) > 20 and any(p.suffix == ".json" for p in files)
            assert [p for p in files if b"user:" in p.read_bytes()
                    or b"secret" in p.read_bytes()] == []
            # ... nor the private paths the audit looks for.
            assert [p for p in files if str(tmp_path).encode() in p.read_bytes()] == []

            figure_json = next(p for p in sorted(outputs.rglob("*.json"))
                               if "figures" in p.parts)
            planted = json.loads(figure_json.read_text())
            planted["note"] = "token=ghp_0123456789abcdefghijklmnopqrstuvwxyz"
            figure_json.write_text(json.dumps(planted))
            failures: list[str] = []
            PrivacyAudit.event_handler(luigi.Event.FAILURE)(
                lambda _task, err: failures.append(str(err)))
            assert not PrivacyAudit().complete()  # the public files changed since the audit
            assert not luigi.build([PrivacyAudit()], local_scheduler=True)
    assert failures, "the audit did not fail"
    assert f"{figure_json}: holds a token or password at byte" in failures[-1]
    assert f"{figure_json}: holds an API key at byte" in failures[-1]
    assert "ghp_0123" not in failures[-1]  # named, never quoted
