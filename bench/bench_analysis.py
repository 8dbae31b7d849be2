"""Analysis: every figure, table and number from an existing results database (outputs/
deleted, `luigi ... ReproduceAll` with the database present).

    python -m bench.bench_analysis [--runs 410] [--repeat 3]
"""

from __future__ import annotations

import shutil
import sys

from bench import common


def main(argv=None) -> int:
    p = common.parser(__doc__)
    p.add_argument("--runs", type=int, default=410)
    p.add_argument("--repeat", type=int, default=3)
    args = p.parse_args(argv)
    common.resolve_args(args)
    if args.smoke:
        args.runs, args.repeat = common.count_runs(args.store), 1
    build = common.Build(args.store, args.workdir / f"build-{args.runs}",
                         common.SMOKE_FIGURE_DPI if args.smoke else 0)
    if not build.db.is_file():
        build.store = common.store_of(args.store, args.runs,
                                      args.workdir / f"subset-{args.runs}")
        common.luigi_build(build, "database.MergeToDuckDB")
    times, in_tasks = [], []
    for _ in range(args.repeat):
        shutil.rmtree(build.output_dir, ignore_errors=True)
        m = common.luigi_build(build, "ReproduceAll", events=build.root.with_suffix(".events"))
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
