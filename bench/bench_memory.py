"""Extraction memory: peak resident memory of a cold build (`luigi ... database.MergeToDuckDB`,
one worker: the luigi process) at 50, 200, 410 and 800 runs, beside the earlier version's pattern
(every run's rows collected in Python, then inserted) on the same stores. Stores beyond the
paper store's 200 runs are scaled from it (bench.common.store_of).

    python -m bench.bench_memory [--sizes 50 200 410 800] [--baseline-sizes 50 200]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

from bench import common


def accumulate_then_insert(store: Path, db_path: Path) -> int:
    """The earlier version: every run's frames kept in a list, concatenated and inserted at the
    end. Uses the project's own functions for listing, reading and computing."""
    import duckdb
    import pandas as pd

    from plr_luigi.extraction.run_tables import RunIdentity, extract_tables
    from plr_luigi.extraction.subjects import build_lookup, read_labelled_subjects
    from plr_luigi.store.mlflow_store import list_runs, local_artifact, metrics_artifact_path
    from plr_luigi.store.run_decisions import EXTRACT, decide_runs
    from plr_luigi.store.safe_pickle import load_pickle
    from plr_luigi.study import schema
    from plr_luigi.study.factors import load_factor_registry, parse_run_name

    uri = str(store / "mlruns")
    registry = load_factor_registry()
    lookup_frame = build_lookup(read_labelled_subjects(store / "subjects.sqlite"))
    lookup = dict(zip(lookup_frame["original_code"], lookup_frame["subject_code"], strict=True))
    collected: dict[str, list] = {t.name: [] for t in schema.RUN_TABLES}
    n = 0
    for decision in decide_runs(list_runs(uri, common.CLASSIFICATION), registry):
        if decision.outcome != EXTRACT:
            continue
        run = decision.run
        with local_artifact(run, metrics_artifact_path(run.run_name), db_path.parent) as path:
            pickled = load_pickle(path)
        identity = RunIdentity(run.run_id, run.run_name,
                               parse_run_name(run.run_name, registry), run.prevalence)
        for name, frame in extract_tables(pickled, identity, lookup).items():
            collected[name].append(pd.DataFrame(frame))
        n += 1
    with duckdb.connect(str(db_path)) as con:
        for table in schema.RUN_TABLES:
            con.execute(table.ddl())
            frame = pd.concat(collected[table.name], ignore_index=True)
            con.execute(f"INSERT INTO {table.name} SELECT * FROM frame")
    return n


def main(argv=None) -> int:
    p = common.parser(__doc__)
    p.add_argument("--sizes", type=int, nargs="+", default=[50, 200, 410, 800])
    p.add_argument("--baseline-sizes", type=int, nargs="+", default=[50, 200])
    p.add_argument("--keep", type=int, default=410, help="keep this size's build for later benches")
    p.add_argument("--baseline-child", nargs=2, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.baseline_child:
        started = time.perf_counter()
        n = accumulate_then_insert(Path(args.baseline_child[0]), Path(args.baseline_child[1]))
        print(f"baseline: {n} runs in {time.perf_counter() - started:.1f} s")
        return 0
    common.resolve_args(args)
    if args.smoke:
        args.sizes = args.baseline_sizes = [common.count_runs(args.store)]
        args.keep = args.sizes[0]
    rows = []
    for n in args.sizes:
        store = common.store_of(args.store, n, args.workdir / f"subset-{n}")
        build = common.Build(store, args.workdir / f"build-{n}")
        shutil.rmtree(build.root, ignore_errors=True)
        m = common.luigi_build(build, "database.MergeToDuckDB",
                               events=build.root.with_suffix(".events"))
        if m.returncode != 0:
            raise RuntimeError(f"build of {n} runs failed ({m.returncode})")
        extracted = len(build.run_dirs())  # an ExtractRun task may extract a batch of runs
        row = {"runs": n, "runs_extracted": extracted, "build_peak_rss_mb": m.peak_rss_mb,
               "build_peak_single_rss_mb": m.peak_single_rss_mb, "build_wall_s": m.wall_s}
        if n in args.baseline_sizes:
            db = args.workdir / f"baseline-{n}.duckdb"
            db.unlink(missing_ok=True)
            b = common.run_measured([common.PYTHON, "-m", "bench.bench_memory",
                                     "--baseline-child", str(store), str(db)])
            db.unlink(missing_ok=True)
            if b.returncode != 0:
                raise RuntimeError("baseline failed")
            row.update({"baseline_peak_rss_mb": b.peak_rss_mb, "baseline_wall_s": b.wall_s,
                        "baseline_over_build_memory": round(b.peak_rss_mb / m.peak_rss_mb, 2)})
        rows.append(row)
        print(row, flush=True)
        if n != args.keep:
            shutil.rmtree(build.root, ignore_errors=True)
    # The build's own process: the summed tree also counts, at times, a short-lived child
    # (`git describe` for the provenance) whose fork shares the build's pages.
    peaks = [r["build_peak_single_rss_mb"] for r in rows]
    figures = {"sizes": rows, "build_peak_rss_max_mb": max(peaks),
               "build_peak_rss_spread": round(max(peaks) / min(peaks) - 1, 3),
               "goal_flat_within": 0.10, "goal_under_mb": 1024,
               "goal_met": max(peaks) < 1024 and max(peaks) / min(peaks) - 1 <= 0.10}
    common.write_result(args, "memory", figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
