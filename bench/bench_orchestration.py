"""Orchestration: a build with nothing to do (the `luigi` command on a completed build,
interpreter start included), and Luigi's overhead on graphs of the project's shape grown from
410 to 10,000 runs, one task per run and in batches as ExtractRun runs them. The large graphs
are trivial tasks of the same shape (N ExtractRun-like tasks each writing one small file,
fanning into one merge, under one wrapper) run in process: the factor registry allows 1,320
distinct configurations, so no store holds 4,100 extractable runs. One of them is profiled.

    python -m bench.bench_orchestration [--runs 410] [--graph-sizes 410 1000 4100 10000]
"""

from __future__ import annotations

import cProfile
import io
import pstats
import shutil
import sys
import time
from pathlib import Path

import luigi

from bench import common

_ROOT = {"path": Path(".")}


class TrivialRun(luigi.Task):
    """Like ExtractRun: one run id, one output, writes a few bytes."""

    run_id = luigi.IntParameter()

    def output(self):
        return luigi.LocalTarget(str(_ROOT["path"] / "runs" / f"{self.run_id}.txt"))

    def run(self):
        with self.output().open("w") as fh:
            fh.write("x")


class BatchedTrivialRun(luigi.Task):
    """Like ExtractRun: batched by Luigi as ExtractRun is ([extraction] batch_size)."""

    run_id = luigi.Parameter(batch_method=",".join)
    n = luigi.IntParameter(significant=False)

    @property
    def max_batch_size(self) -> int:
        from plr_luigi.tasks.settings import ExtractionSettings

        return ExtractionSettings().runs_per_task(self.n)

    def output(self):
        targets = [luigi.LocalTarget(str(_ROOT["path"] / "runs" / f"{run_id}.txt"))
                   for run_id in self.run_id.split(",")]
        return targets[0] if len(targets) == 1 else targets

    def run(self):
        for target in luigi.task.flatten(self.output()):
            with target.open("w") as fh:
                fh.write("x")


class TrivialMerge(luigi.Task):
    """Like MergeToDuckDB: requires every run."""

    n = luigi.IntParameter()
    batched = luigi.BoolParameter()

    def requires(self):
        if self.batched:
            return [BatchedTrivialRun(run_id=str(i), n=self.n) for i in range(self.n)]
        return [TrivialRun(run_id=i) for i in range(self.n)]

    def output(self):
        return luigi.LocalTarget(str(_ROOT["path"] / f"merged-{self.n}.txt"))

    def run(self):
        with self.output().open("w") as fh:
            fh.write(str(len(self.input())))


class TrivialAll(luigi.WrapperTask):
    n = luigi.IntParameter()
    batched = luigi.BoolParameter()

    def requires(self):
        return TrivialMerge(n=self.n, batched=self.batched)


def trivial_graph(root: Path, n: int, profile: bool = False, batched: bool = False) -> dict:
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    _ROOT["path"] = root
    in_tasks = [0.0]

    def record(task, seconds):
        in_tasks[0] += seconds

    luigi.Task.event_handler(luigi.Event.PROCESSING_TIME)(record)
    profiler = cProfile.Profile() if profile else None
    started = time.perf_counter()
    if profiler:
        profiler.enable()
    ok = luigi.build([TrivialAll(n=n, batched=batched)], local_scheduler=True, workers=1,
                     log_level="WARNING")
    if profiler:
        profiler.disable()
    wall = time.perf_counter() - started
    luigi.Task._event_callbacks[luigi.Task][luigi.Event.PROCESSING_TIME].discard(record)
    started = time.perf_counter()
    luigi.build([TrivialAll(n=n, batched=batched)], local_scheduler=True, workers=1,
                log_level="WARNING")
    noop = time.perf_counter() - started
    shutil.rmtree(root, ignore_errors=True)
    result = {"tasks": n + 2, "batched": batched, "ok": ok, "wall_s": round(wall, 3),
              "in_tasks_s": round(in_tasks[0], 3), "overhead_s": round(wall - in_tasks[0], 3),
              "overhead_ms_per_task": round(1000 * (wall - in_tasks[0]) / (n + 2), 3),
              "noop_build_s": round(noop, 3)}
    if profiler:
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        top = sorted(((v[3], v[2], k) for k, v in stats.stats.items()), reverse=True)
        result["profile_top_cumulative"] = [
            {"function": f"{Path(k[0]).name}:{k[1]}({k[2]})", "cum_s": round(cum, 3),
             "own_s": round(own, 3)}
            for cum, own, k in top if "luigi" in k[0]][:15]
        top_own = sorted(((v[2], v[3], k) for k, v in stats.stats.items()), reverse=True)
        result["profile_top_own"] = [
            {"function": f"{Path(k[0]).name}:{k[1]}({k[2]})", "own_s": round(own, 3),
             "cum_s": round(cum, 3)} for own, cum, k in top_own[:10]]
    return result


def store_listing_seconds(store: Path) -> float:
    """Importing MLflow and listing the experiment once: what requires() costs before Luigi
    schedules anything (in a fresh process, as in a build)."""
    code = ("import time; t = time.perf_counter(); "
            "from plr_luigi.store.mlflow_store import list_runs; "
            f"list_runs({str(store / 'mlruns')!r}, {common.CLASSIFICATION!r}); "
            "print('LISTED', time.perf_counter() - t)")
    out = common.subprocess.run([common.PYTHON, "-c", code], capture_output=True, text=True,
                                check=True, cwd=common.REPO,
                                env={**common.os.environ, "MLFLOW_ALLOW_FILE_STORE": "true"})
    return round(float(out.stdout.split("LISTED", 1)[1]), 3)


def main(argv=None) -> int:
    p = common.parser(__doc__)
    p.add_argument("--runs", type=int, default=410)
    p.add_argument("--graph-sizes", type=int, nargs="+", default=[410, 1000, 4100])
    p.add_argument("--batched-sizes", type=int, nargs="+", default=[410, 4100, 10000],
                   help="graph sizes run with ExtractRun's batching")
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--profile-size", type=int, default=1000,
                   help="runs of the profiled trivial graph (cProfile slows the O(n^2) parts)")
    args = p.parse_args(argv)
    common.resolve_args(args)
    if args.smoke:
        args.runs, args.graph_sizes, args.repeat = common.count_runs(args.store), [20, 40], 1
        args.batched_sizes = [40]
        args.profile_size = 40
    # A smoke run times bench_reproduce's smoke build, complete (the other smoke builds are
    # of fewer targets).
    build = (common.Build(args.store, args.workdir / common.SMOKE_REPRODUCE_BUILD,
                          draft=True) if args.smoke
             else common.Build(args.store, args.workdir / f"build-{args.runs}"))
    if not build.db.is_file():
        build.store = common.store_of(args.store, args.runs,
                                          args.workdir / f"subset-{args.runs}")
    # The first invocation completes the build if needed and is not counted (a smoke run
    # follows the reproduce benchmark, which completed it).
    noops = [common.luigi_cli(build, "ReproduceAll") for _ in range(args.repeat + 1 - args.smoke)]
    noops = noops[-args.repeat:]
    if {m.returncode for m in noops} - {0, 30}:
        raise RuntimeError(f"build failed ({[m.returncode for m in noops]})")
    figures: dict = {"runs": args.runs, "noop_build_s": common.median([m.wall_s for m in noops]),
                     "noop_build_s_all": [m.wall_s for m in noops],
                     "noop_exit_codes": sorted({m.returncode for m in noops}),
                     "goal_noop_under_s": 3.0}
    figures["store_listing_s"] = store_listing_seconds(build.store)
    graphs = [trivial_graph(args.workdir / "trivial", n) for n in args.graph_sizes]
    figures["trivial_graphs"] = graphs
    small, large = graphs[0], graphs[-1]
    figures["overhead_growth"] = round(large["overhead_s"] / small["overhead_s"], 2)
    figures["task_growth"] = round(large["tasks"] / small["tasks"], 2)
    figures["batched_graphs"] = [trivial_graph(args.workdir / "trivial", n, batched=True)
                                 for n in args.batched_sizes]
    figures["profile"] = trivial_graph(args.workdir / "trivial", args.profile_size, profile=True)
    figures["goal_met_noop"] = figures["noop_build_s"] < 3.0
    common.write_result(args, "orchestration", figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
