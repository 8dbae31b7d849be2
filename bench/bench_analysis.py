"""Analysis: every figure, table and number from an existing results database (outputs/
deleted, `luigi ... ReproduceAll` with the database present).

    python -m bench.bench_analysis [--runs 410] [--repeat 3]

--smoke builds one figure of them (SMOKE_TARGET) the same way: every output of the tiny store
is built by bench_reproduce's smoke run, and a second complete build would double its cost.
"""

from __future__ import annotations

import shutil
import sys

from bench import common

# A figure drawn from the database alone (no upstream experiment, no SHAP): a --smoke run's
# target instead of ReproduceAll.
SMOKE_TARGET = "figures.AurocHeatmap"


def main(argv=None) -> int:
    p = common.parser(__doc__)
    p.add_argument("--runs", type=int, default=410)
    p.add_argument("--repeat", type=int, default=3)
    args = p.parse_args(argv)
    common.resolve_args(args)
    if args.smoke:
        args.runs, args.repeat = common.count_runs(args.store), 1
    build = common.Build(args.store, args.workdir / f"build-{args.runs}",
                         draft=args.smoke)
    if not build.db.is_file():
        build.store = common.store_of(args.store, args.runs,
                                      args.workdir / f"subset-{args.runs}")
        common.luigi_build(build, "database.MergeToDuckDB")
    target = SMOKE_TARGET if args.smoke else "ReproduceAll"
    times, in_tasks = [], []
    for _ in range(args.repeat):
        shutil.rmtree(build.output_dir, ignore_errors=True)
        m = common.luigi_build(build, target, events=build.root.with_suffix(".events"))
        if m.returncode not in (0, 30) or "database.MergeToDuckDB" in m.task_counts:
            raise RuntimeError(f"analysis build failed or rebuilt the database ({m.returncode})")
        times.append(m.wall_s)
        in_tasks.append(sum(m.task_seconds.values()))
    figures = {"runs": args.runs, "analysis_s": common.median(times), "analysis_s_all": times,
               "in_output_tasks_s": common.median(in_tasks),
               "outputs": sorted(str(f.relative_to(build.output_dir))
                                 for f in build.output_dir.rglob("*") if f.is_file())}
    common.write_result(args, "analysis", figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
