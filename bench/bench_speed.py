"""Extraction speed: runs per second of a cold build with 1 and 2 Luigi workers, against the
floor (reading and unpickling every extracted run's metrics pickle, nothing else). The
1-worker build also gives Luigi's overhead as a share of a cold build (wall time outside any
task's run()).

    python -m bench.bench_speed [--runs 410] [--workers 1 2]
"""

from __future__ import annotations

import argparse
import json
import pickle
import shutil
import sys
import time
from pathlib import Path

from bench import common


def read_floor(store: Path) -> dict:
    """Seconds to read and unpickle the metrics pickle of every run the build extracts."""
    from plr_luigi.store.inventory import EXTRACT, decide_runs
    from plr_luigi.store.mlflow_store import list_runs, local_artifact, metrics_artifact_path
    from plr_luigi.study.factors import load_factor_registry

    runs = [d.run for d in decide_runs(list_runs(str(store / "mlruns"), common.CLASSIFICATION),
                                       load_factor_registry()) if d.outcome == EXTRACT]
    started = time.perf_counter()
    for run in runs:
        with local_artifact(run, metrics_artifact_path(run.run_name), store) as path, \
                open(path, "rb") as fh:
            pickle.load(fh)
    return {"runs": len(runs), "seconds": round(time.perf_counter() - started, 3)}


def main(argv=None) -> int:
    p = common.parser(__doc__)
    p.add_argument("--runs", type=int, default=410)
    p.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    p.add_argument("--floor-child", type=Path, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.floor_child:
        print("FLOOR " + json.dumps(read_floor(args.floor_child)))
        return 0
    common.resolve_args(args)
    if args.smoke:
        args.runs, args.workers = common.count_runs(args.store), [1]
    store = common.subset_store(args.store, args.runs, args.workdir / f"speed-subset-{args.runs}")

    def floor() -> dict:
        if args.smoke:  # in process: a smoke run only checks that the figures come out
            return read_floor(store)
        out = common.subprocess.run([common.PYTHON, "-m", "bench.bench_speed", "--floor-child",
                                     str(store)], capture_output=True, text=True, check=True,
                                    env={**common.os.environ, "MLFLOW_ALLOW_FILE_STORE": "true"})
        return json.loads(out.stdout.split("FLOOR ", 1)[1])

    floors = [floor()]
    startup = common.run_measured([common.PYTHON, "-c", "import luigi, plr_luigi.tasks"]).wall_s
    figures: dict = {"runs": args.runs, "python_import_s": startup, "builds": {}}
    for workers in args.workers:
        build = common.Build(store, args.workdir / f"speed-{args.runs}-w{workers}")
        shutil.rmtree(build.root, ignore_errors=True)
        m = common.luigi_build(build, "ReproduceAll", workers=workers,
                               events=build.root.with_suffix(".events"))
        if m.returncode not in (0, 30):
            raise RuntimeError(f"build failed ({m.returncode})")
        extracted = m.task_counts.get("ExtractRun", 0)
        in_tasks = sum(m.task_seconds.values())
        row = {"wall_s": m.wall_s, "runs_extracted": extracted,
               "runs_per_s": round(extracted / m.wall_s, 3),
               "extract_task_s": m.task_seconds.get("ExtractRun", 0.0),
               "merge_task_s": m.task_seconds.get("MergeToDuckDB", 0.0),
               "outputs_task_s": round(in_tasks - m.task_seconds.get("ExtractRun", 0.0)
                                       - m.task_seconds.get("MergeToDuckDB", 0.0), 3),
               "peak_rss_mb": m.peak_rss_mb}
        if workers == 1:
            outside = m.wall_s - in_tasks
            row.update({"outside_tasks_s": round(outside, 3),
                        "overhead_share": round(outside / m.wall_s, 4),
                        "overhead_share_excl_startup": round((outside - startup) / m.wall_s, 4)})
        figures["builds"][str(workers)] = row
        print(workers, row, flush=True)
        shutil.rmtree(build.root, ignore_errors=True)
    if not args.smoke:
        floors.append(floor())
    floor_s = common.median([f["seconds"] for f in floors])
    figures["floor_s"] = floor_s
    figures["floor_runs"] = floors[0]["runs"]
    figures["floor_runs_per_s"] = round(floors[0]["runs"] / floor_s, 3)
    one = figures["builds"][str(args.workers[0])]
    figures["build_over_floor_1_worker"] = round(one["wall_s"] / floor_s, 2)
    figures["extract_tasks_over_floor"] = round(one["extract_task_s"] / floor_s, 2)
    if "2" in figures["builds"]:
        figures["speedup_2_workers"] = round(one["wall_s"] / figures["builds"]["2"]["wall_s"], 2)
    figures["goal_within_floor_ratio"] = 1.5
    figures["goal_met"] = figures["build_over_floor_1_worker"] <= 1.5
    common.write_result(args, "speed", figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
