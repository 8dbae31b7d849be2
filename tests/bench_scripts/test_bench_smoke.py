"""Every benchmark script runs in --smoke mode on a tiny store and writes the figures the
summary table reads: the benchmarks cannot rot unnoticed. Scripts that share no folder run
side by side to keep this under ~30 s."""

from __future__ import annotations

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

from bench import common, summary

EXPECTED = {
    "memory": ["sizes", "build_peak_rss_max_mb", "build_peak_rss_spread", "goal_met"],
    "speed": ["builds", "floor_s", "floor_ms_per_run", "ms_per_run", "per_run_over_floor",
              "speedup_2_workers", "cold_disk", "goal_met"],
    "merge": ["bulk_s", "row_by_row", "speedup", "goal_met"],
    "orchestration": ["noop_build_s", "trivial_graphs", "batched_graphs", "overhead_growth",
                      "profile"],
    "analysis": ["analysis_s", "outputs"],
    "reproduce": ["cold_s", "warm_s"],
    "imputation": ["sizes", "build_peak_rss_max_mb", "extraction_over_floor", "goal_met"],
}
POSITIVE = {
    "memory": ["build_peak_rss_max_mb"], "speed": ["floor_s", "floor_ms_per_run"],
    "merge": ["bulk_s", "speedup"], "orchestration": ["noop_build_s", "overhead_growth"],
    "analysis": ["analysis_s"], "reproduce": ["cold_s", "warm_s"],
    "imputation": ["build_peak_rss_max_mb", "extraction_over_floor"],
}
# memory leaves the build that merge, analysis and orchestration read; orchestration's
# nothing-to-do build follows analysis, which completes it.
WAVES = (("memory", "speed", "reproduce"), ("merge", "analysis"), ("orchestration", "imputation"))


@pytest.mark.slow
def test_bench_scripts_smoke(tmp_path):
    store = common.ensure_store(tmp_path / "store", common.SMOKE_STORE)
    work, results = tmp_path / "work", tmp_path / "results"

    def run(name: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", f"bench.bench_{name}", "--smoke",
                               "--store", str(store), "--workdir", str(work),
                               "--results", str(results)],
                              cwd=common.REPO, capture_output=True, text=True)

    for wave in WAVES:
        with ThreadPoolExecutor(len(wave)) as pool:
            for name, done in zip(wave, pool.map(run, wave), strict=True):
                assert done.returncode == 0, f"{name}:\n{done.stdout[-2000:]}{done.stderr[-3000:]}"
    for name, keys in EXPECTED.items():
        figures = json.loads((results / f"{name}.smoke.json").read_text())["figures"]
        assert set(keys) <= set(figures), name
        for key in POSITIVE[name]:
            assert figures[key] > 0, (name, key)


def test_summary_rewrites_only_its_table(tmp_path, monkeypatch):
    monkeypatch.setattr(summary, "RESULTS", tmp_path)
    target = tmp_path / "BENCHMARKS.md"
    target.write_text(f"intro\n{summary.BEGIN}\nold\n{summary.END}\noutro\n")
    summary.update_benchmarks_md(target)
    text = target.read_text()
    assert text.startswith("intro\n") and text.endswith("outro\n") and "old" not in text
