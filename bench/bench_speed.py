"""Extraction speed against the floor (reading and unpickling every extracted run's metrics
pickle, nothing else), per run; 1 against 2 workers; and the same with the disk cold.

- Per run (the store's files read once beforehand, so every build finds them in the page
  cache): cold `MergeToDuckDB` builds (1 worker) of two sizes; the cost of a run is the
  difference of their wall times over the difference of their runs (interpreter start,
  imports, the figures' absence: what does not grow with the runs cancels out), and also the
  ExtractRun tasks' run() time per run. Each against the floor per run, measured in the same
  session (page cache warm, as the build finds it).
- Workers: 1 and 2 workers on the larger size, alternated `--repeat` times (medians): the whole
  build and its extraction phase (first extraction task's start to the last one's end,
  classification and upstream runs).
- Cold disk (unless `--no-cold`): the store's files dropped from the page cache
  (posix_fadvise DONTNEED) before a floor and before a 1-worker build.

    python -m bench.bench_speed [--runs 100 200] [--workers 1 2] [--repeat 2] [--no-cold]
"""

from __future__ import annotations

import argparse
import itertools
import json
import pickle
import shutil
import sys
import time
from pathlib import Path

from bench import common

EXTRACTION_FAMILIES = ("extraction.ExtractRun", "extraction.ExtractUpstreamRun")


def read_floor(store: Path, part: int = 0, parts: int = 1) -> dict:
    """Seconds (wall and CPU) to read and unpickle the metrics pickle of every run the build
    extracts (every `parts`-th from `part`: one of several floor processes side by side)."""
    from plr_luigi.store.mlflow_store import list_runs, local_artifact, metrics_artifact_path
    from plr_luigi.store.run_decisions import EXTRACT, decide_runs
    from plr_luigi.study.factors import load_factor_registry

    runs = [d.run for d in decide_runs(list_runs(str(store / "mlruns"), common.CLASSIFICATION),
                                       load_factor_registry()) if d.outcome == EXTRACT][part::parts]
    started, cpu = time.perf_counter(), time.process_time()
    for run in runs:
        try:
            with local_artifact(run, metrics_artifact_path(run.run_name), store) as path, \
                    open(path, "rb") as fh:
                pickle.load(fh)
        except (OSError, pickle.UnpicklingError, EOFError):
            continue  # the synthetic store's deliberately broken runs: read as far as they go
    return {"runs": len(runs), "seconds": round(time.perf_counter() - started, 3),
            "cpu_s": round(time.process_time() - cpu, 3)}


def _floor(args, store: Path) -> dict:
    if args.smoke:  # in process: a smoke run only checks that the figures come out
        return read_floor(store)
    out = common.subprocess.run([common.PYTHON, "-m", "bench.bench_speed", "--floor-child",
                                 str(store)], capture_output=True, text=True, check=True,
                                env={**common.os.environ, "MLFLOW_ALLOW_FILE_STORE": "true"})
    return json.loads(out.stdout.split("FLOOR ", 1)[1])


def _two_floors(store: Path) -> float:
    """Seconds two floor processes side by side take, each over half the runs (the slower
    one's reading loop, timed inside it as the single floor is): what the machine gives two
    workers."""
    env = {**common.os.environ, "MLFLOW_ALLOW_FILE_STORE": "true"}
    halves = [common.subprocess.Popen([common.PYTHON, "-m", "bench.bench_speed", "--floor-child",
                                       str(store), "--part", f"{k}/2"], env=env, text=True,
                                      stdout=common.subprocess.PIPE) for k in range(2)]
    outputs = [p.communicate()[0] for p in halves]
    if any(p.returncode != 0 for p in halves):
        raise RuntimeError("a floor process failed")
    return max(json.loads(out.split("FLOOR ", 1)[1])["seconds"] for out in outputs)


def _build(args, store: Path, n_runs: int, name: str, workers: int) -> dict:
    # Each build in a folder of its own, all removed when the script ends (_remove_builds), not
    # the previous one removed just before it: this disk's ext4 (no journal) passes over the
    # inodes freed in the last seconds to minutes when it creates a file, and a build creates
    # ~3,000 (3,000 files took 0.07 s, and 0.6-2.2 s after as many were removed): each build
    # ran slower than the one before, +1 s per repetition of the three.
    build = common.Build(store, args.workdir / f"{BUILD_PREFIX}{name}-{next(_BUILD_NUMBERS)}")
    m = common.luigi_build(build, "database.MergeToDuckDB", workers=workers,
                           events=build.root.with_suffix(".events"))
    if m.returncode not in (0, 30):
        raise RuntimeError(f"build failed ({m.returncode})")
    runs = len(build.run_dirs())
    # The extraction phase: the first extraction task's start to the last one's end, of either
    # kind (with one batch a core, the classification batches alone no longer span it).
    spans = [m.task_spans[f] for f in EXTRACTION_FAMILIES if f in m.task_spans] or [(0.0, 0.0)]
    first, last = min(s for s, _ in spans), max(e for _, e in spans)
    row = {"store_runs": n_runs, "workers": workers, "wall_s": m.wall_s, "cpu_s": m.cpu_s,
           "runs_extracted": runs,
           "extract_tasks": m.task_counts.get("extraction.ExtractRun", 0),
           "extract_task_s": m.task_seconds.get("extraction.ExtractRun", 0.0),
           "extract_task_cpu_s": m.task_cpu_seconds.get("extraction.ExtractRun", 0.0),
           "extract_phase_s": round(last - first, 3),
           "merge_task_s": m.task_seconds.get("database.MergeToDuckDB", 0.0),
           "outside_tasks_s": round(m.wall_s - sum(m.task_seconds.values()), 3),
           "peak_rss_mb": m.peak_rss_mb}
    print(name, row, flush=True)
    return row


BUILD_PREFIX = "build-"
_BUILD_NUMBERS = itertools.count()


def _remove_builds(workdir: Path) -> None:
    """Every build folder of this script under workdir (an interrupted run's too)."""
    for root in workdir.glob(f"{BUILD_PREFIX}speed-*"):
        shutil.rmtree(root, ignore_errors=True)
        root.with_suffix(".events").unlink(missing_ok=True)


def main(argv=None) -> int:
    p = common.parser(__doc__)
    p.add_argument("--runs", type=int, nargs=2, default=[100, 200],
                   help="the two store sizes whose difference gives the cost per run")
    p.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    p.add_argument("--repeat", type=int, default=2)
    p.add_argument("--cold", action=argparse.BooleanOptionalAction, default=True,
                   help="also with the store's files dropped from the page cache")
    p.add_argument("--floor-child", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--part", default="0/1", help=argparse.SUPPRESS)  # the floor child's share
    args = p.parse_args(argv)
    if args.floor_child:
        part, parts = map(int, args.part.split("/"))
        print("FLOOR " + json.dumps(read_floor(args.floor_child, part, parts)))
        return 0
    common.resolve_args(args)
    _remove_builds(args.workdir)  # an interrupted run's
    try:
        figures = _measure(args)
    finally:
        _remove_builds(args.workdir)
    common.write_result(args, "speed", figures)
    return 0


def _measure(args) -> dict:
    if args.smoke:
        n = common.count_runs(args.store)
        args.runs, args.workers, args.repeat = [n // 2, n], [1, 2], 1
    small_n, large_n = args.runs
    small = common.store_of(args.store, small_n, args.workdir / f"speed-subset-{small_n}")
    large = common.store_of(args.store, large_n, args.workdir / f"speed-subset-{large_n}")

    # Warm: whatever ran before (a test suite, another store) may have evicted the store, and a
    # cold first repetition would make the per-run difference meaningless.
    common.read_into_page_cache(large)
    floors = [_floor(args, large)]
    figures: dict = {"runs": args.runs, "builds": []}
    for _ in range(args.repeat):
        figures["builds"].append(_build(args, small, small_n, f"speed-{small_n}-w1", 1))
        for workers in args.workers:
            figures["builds"].append(
                _build(args, large, large_n, f"speed-{large_n}-w{workers}", workers))
        floors.append(_floor(args, large))
    floor_s = common.median([f["seconds"] for f in floors])
    floor_runs = floors[0]["runs"]
    figures.update({"floor_s": floor_s, "floor_cpu_s": common.median([f["cpu_s"] for f in floors]),
                    "floor_runs": floor_runs, "floors_s": [f["seconds"] for f in floors],
                    "floor_ms_per_run": round(1000 * floor_s / floor_runs, 2)})

    def rows(n_runs: int, workers: int) -> list[dict]:
        return [r for r in figures["builds"]
                if r["workers"] == workers and r["store_runs"] == n_runs]

    one_small, one_large = rows(small_n, 1), rows(large_n, 1)
    wall_small = common.median([r["wall_s"] for r in one_small])
    wall_large = common.median([r["wall_s"] for r in one_large])
    runs_small, runs_large = one_small[0]["runs_extracted"], one_large[0]["runs_extracted"]
    per_run = (wall_large - wall_small) / (runs_large - runs_small)
    # The same in CPU seconds: what a run costs whatever the other load on the machine.
    cpu_per_run = (common.median([r["cpu_s"] for r in one_large])
                   - common.median([r["cpu_s"] for r in one_small])) / (runs_large - runs_small)
    task_per_run = common.median([r["extract_task_s"] / r["runs_extracted"] for r in one_large])
    floor_per_run = floor_s / floor_runs
    figures.update({
        "wall_1_worker_small_s": wall_small, "wall_1_worker_large_s": wall_large,
        "ms_per_run": round(1000 * per_run, 2),
        "ms_per_run_in_extract_tasks": round(1000 * task_per_run, 2),
        "per_run_over_floor": round(per_run / floor_per_run, 2),
        "cpu_ms_per_run": round(1000 * cpu_per_run, 2),
        "floor_cpu_ms_per_run": round(1000 * figures["floor_cpu_s"] / floor_runs, 2),
        "cpu_per_run_over_floor_cpu": round(cpu_per_run / (figures["floor_cpu_s"] / floor_runs),
                                            2),
        "extract_tasks_over_floor": round(task_per_run / floor_per_run, 2),
        "goal_per_run_over_floor": 3.0,
        "goal_met": 0 < per_run <= 3.0 * floor_per_run,
    })
    if 2 in args.workers:
        two = rows(large_n, 2)
        wall_two = common.median([r["wall_s"] for r in two])
        two_floors_s = _two_floors(large)
        figures.update({
            "two_floors_s": two_floors_s,
            "two_floors_speedup": round(floor_s / two_floors_s, 2),
            "wall_2_workers_large_s": wall_two,
            "speedup_2_workers": round(wall_large / wall_two, 2),
            "speedup_2_workers_extract_phase": round(
                common.median([r["extract_phase_s"] for r in one_large])
                / common.median([r["extract_phase_s"] for r in two]), 2),
            # CPU a run costs in a forked task process against in process: what a second
            # worker pays for itself, whatever other load shares the cores.
            "cpu_per_run_2_workers_over_1": round(
                common.median([r["extract_task_cpu_s"] / r["runs_extracted"] for r in two])
                / common.median([r["extract_task_cpu_s"] / r["runs_extracted"]
                                 for r in one_large]), 2),
            "goal_speedup_2_workers": 1.6,
            "goal_met_workers": wall_large / wall_two >= 1.6,
        })
    if args.cold:
        common.drop_from_page_cache(large)
        cold_floor = _floor(args, large)
        common.drop_from_page_cache(large)
        # --smoke: the 1-worker build of the same store stands for the cold one (the same
        # _build; a smoke run checks that the figures come out, not what the disk does)
        cold = one_large[0] if args.smoke else _build(args, large, large_n,
                                                       f"speed-{large_n}-cold", 1)
        figures["cold_disk"] = {
            "floor_s": cold_floor["seconds"], "floor_runs": cold_floor["runs"],
            "build_wall_s": cold["wall_s"], "build_extract_task_s": cold["extract_task_s"],
            "build_over_floor": round(cold["wall_s"] / cold_floor["seconds"], 2),
            "warm_build_wall_s": wall_large,
        }
    return figures


if __name__ == "__main__":
    sys.exit(main())
