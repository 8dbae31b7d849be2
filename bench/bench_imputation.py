"""Imputation extraction at the paper's scale: peak resident memory of a cold build
(`luigi ... database.MergeToDuckDB`: the classification and outlier runs, constant, and N
imputation runs of ~140 MB pickles) at N = 20, 50, 100 and all ~136, and its time against a
floor (plain unpickling of the same pickles in one process). The private signals merge
(`database.MergeSignals`) is
measured separately on the same build.

    python -m bench.bench_imputation [--sizes 20 50 100 0]   (0: every imputation run)

The store (bench/.work/store-upstream) is a paper-size synthetic store with few
classification runs: 507 subjects x 1981 samples, 31 outlier and 139 imputation runs, of
which 20 have their own pickle file and the rest symlinks to them (synth/upstream.py).
"""

from __future__ import annotations

import argparse
import pickle
import shutil
import sys
import time
from pathlib import Path

from bench import common

IMPUTATION = "PLR_Imputation"
UPSTREAM_STORE = {"size": "paper", "seed": 42, "n_runs": 20}


def _experiment_dir(mlruns: Path, name: str) -> Path:
    for meta in mlruns.glob("*/meta.yaml"):
        if any(line.strip() == f"name: {name}" for line in meta.read_text().splitlines()):
            return meta.parent
    raise FileNotFoundError(f"no {name} experiment in {mlruns}")


def imputation_subset_store(store: Path, n_runs: int, dest: Path) -> tuple[Path, list[Path]]:
    """A store whose imputation experiment holds its first n_runs runs (by start time; 0: all),
    every other experiment as it is; made of symlinks. Returns it and the kept run folders."""
    shutil.rmtree(dest, ignore_errors=True)
    mlruns = dest / "mlruns"
    mlruns.mkdir(parents=True)
    imputation = _experiment_dir(store / "mlruns", IMPUTATION)
    for exp in (store / "mlruns").iterdir():
        if exp != imputation:
            (mlruns / exp.name).symlink_to(exp)
    new = mlruns / imputation.name
    new.mkdir()
    shutil.copy2(imputation / "meta.yaml", new / "meta.yaml")
    runs = common._run_dirs_by_start(imputation)
    kept = runs[:n_runs] if n_runs else runs
    for run in kept:
        (new / run.name).symlink_to(run)
    (dest / "subjects.sqlite").symlink_to(store / "subjects.sqlite")
    return dest, kept


def unpickle_floor(run_dirs: list[Path]) -> tuple[int, float]:
    """Plain pickle.load of every imputation pickle of run_dirs, one at a time."""
    started, n = time.perf_counter(), 0
    for run in run_dirs:
        for path in (run / "artifacts" / "imputation").glob("*.pickle"):
            with open(path, "rb") as fh:
                pickle.load(fh)  # the floor: plain unpickling, the result dropped at once
            n += 1
    return n, time.perf_counter() - started


def main(argv=None) -> int:
    p = common.parser(__doc__)
    p.add_argument("--sizes", type=int, nargs="+", default=[20, 50, 100, 0])
    p.add_argument("--floor-child", nargs="+", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.floor_child:
        n, seconds = unpickle_floor([Path(d) for d in args.floor_child])
        print(f"floor: {n} pickles in {seconds:.2f} s")
        return 0
    if args.store is None and not args.smoke:
        args.workdir = (args.workdir or common.WORK).resolve()
        args.store = common.ensure_store(args.workdir / "store-upstream", UPSTREAM_STORE)
    common.resolve_args(args)
    if args.smoke:
        args.sizes = [0]
    rows = []
    for n in args.sizes:
        store, kept = imputation_subset_store(args.store, n, args.workdir / f"imputation-{n}")
        build = common.Build(store, args.workdir / f"imputation-build-{n}")
        shutil.rmtree(build.root, ignore_errors=True)
        m = common.luigi_build(build, "database.MergeToDuckDB",
                               events=build.root.with_suffix(".events"))
        if m.returncode != 0:
            raise RuntimeError(f"build with {n} imputation runs failed ({m.returncode})")
        signals = common.luigi_build(build, "database.MergeSignals")
        if signals.returncode != 0:
            raise RuntimeError(f"signals merge with {n} imputation runs failed")
        floor = common.run_measured([common.PYTHON, "-m", "bench.bench_imputation",
                                     "--floor-child", *map(str, kept)])
        n_pickles = sum(1 for run in kept
                        for _ in (run / "artifacts" / "imputation").glob("*.pickle"))
        extraction_s = m.task_seconds.get("extraction.ExtractUpstreamRun", 0.0)
        row = {"imputation_runs": len(kept), "imputation_pickles": n_pickles,
               "build_peak_rss_mb": m.peak_rss_mb, "build_wall_s": m.wall_s,
               "upstream_extraction_s": extraction_s,
               "upstream_tasks": m.task_counts.get("extraction.ExtractUpstreamRun", 0),
               "floor_unpickle_s": floor.wall_s, "floor_peak_rss_mb": floor.peak_rss_mb,
               "signals_merge_peak_rss_mb": signals.peak_rss_mb,
               "signals_merge_wall_s": signals.wall_s}
        rows.append(row)
        print(row, flush=True)
        shutil.rmtree(build.root, ignore_errors=True)
    peaks = [r["build_peak_rss_mb"] for r in rows]
    last = rows[-1]
    figures = {"sizes": rows, "build_peak_rss_max_mb": max(peaks),
               "build_peak_rss_spread": round(max(peaks) / min(peaks) - 1, 3),
               # the extraction tasks include the outlier runs' (metrics only, ~0.1 s each)
               "extraction_over_floor": round(last["upstream_extraction_s"]
                                              / max(last["floor_unpickle_s"], 1e-9), 2),
               "goal_flat_within": 0.15,
               "goal_met": max(peaks) / min(peaks) - 1 <= 0.15}
    common.write_result(args, "imputation", figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
