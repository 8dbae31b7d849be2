"""Every benchmark script runs in --smoke mode on a tiny store and writes the figures the
summary table reads: the benchmarks cannot rot unnoticed. One test per chain of scripts that
read each other's builds, so that pytest-xdist's workers run the chains side by side."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from support.stores import made_once

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
# In order, in one workdir: merge and analysis read the database memory's build leaves;
# orchestration's nothing-to-do build is timed on reproduce's complete build.
CHAINS = {"memory": ("memory", "merge", "analysis"), "reproduce": ("reproduce", "orchestration"),
          "speed": ("speed",), "imputation": ("imputation",)}


@pytest.fixture(scope="session")
def smoke_store(shared_dir):
    """The benchmarks' tiny store (common.SMOKE_STORE), generated once per test run."""
    return made_once(shared_dir / "bench_smoke_store",
                     lambda folder: common.ensure_store(folder / "store", common.SMOKE_STORE)
                     ) / "store"


def test_every_benchmark_is_in_one_chain():
    assert sorted(n for chain in CHAINS.values() for n in chain) == sorted(EXPECTED)


@pytest.mark.slow
@pytest.mark.parametrize("chain", CHAINS.values(), ids=CHAINS.keys())
def test_bench_scripts_smoke(chain, smoke_store, tmp_path):
    work, results = tmp_path / "work", tmp_path / "results"
    for name in chain:
        done = subprocess.run([sys.executable, "-m", f"bench.bench_{name}", "--smoke",
                               "--store", str(smoke_store), "--workdir", str(work),
                               "--results", str(results)],
                              cwd=common.REPO, capture_output=True, text=True)
        assert done.returncode == 0, f"{name}:\n{done.stdout[-2000:]}{done.stderr[-3000:]}"
    for name in chain:
        figures = json.loads((results / f"{name}.smoke.json").read_text())["figures"]
        assert set(EXPECTED[name]) <= set(figures), name
        for key in POSITIVE[name]:
            assert figures[key] > 0, (name, key)


def test_summary_rewrites_only_its_table(tmp_path, monkeypatch):
    monkeypatch.setattr(summary, "RESULTS", tmp_path)
    target = tmp_path / "BENCHMARKS.md"
    target.write_text(f"intro\n{summary.BEGIN}\nold\n{summary.END}\noutro\n")
    summary.update_benchmarks_md(target)
    text = target.read_text()
    assert text.startswith("intro\n") and text.endswith("outro\n") and "old" not in text
