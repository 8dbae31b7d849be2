"""SHAP: explaining 10 configurations x N two-member bootstrap ensembles through Luigi
(MergeInterpretation: one ShapForConfig per configuration) with 1 and 2 workers, against a
floor: one plain loop in one process that unpickles the same model pickles (the same restricted
unpickler) and explains the same members (both: the member-0 and ensemble-mean rules). Wall
time, CPU time and peak RSS (the process tree, sampled). The two-worker floor is two such
loops side by side, each over half the configurations: CatBoost explains with all cores, so
what two workers can gain over one is what two loops gain over one. The study's own script
estimates 30-60 min for 10 x 1000.

    python -m bench.bench_shap [--bootstrap 1000] [--iterations 200] [--smoke]

The store holds only the 10 CatBoost, handcrafted configurations (so the population's top 10
is exactly them); its models have --iterations trees each (the study's are ~100 KB each).
Measure with nothing else running on the machine.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

from bench import common

N_CONFIGS = 10


def make_store(folder: Path, n_bootstrap: int, iterations: int) -> Path:
    """10 CatBoost + simple1.0 runs, standard pipelines first (generated once per size)."""
    if (folder / "subjects.sqlite").is_file():
        return folder
    from plr_luigi.synth import generate_store
    from plr_luigi.synth.design import run_spec
    from plr_luigi.synth.registry import load_levels

    levels = load_levels()
    configs = list(dict.fromkeys(
        [c for c in levels.standard_pipelines if c[2:] == ("CatBoost", "simple1.0")]
        + [(o, i, "CatBoost", "simple1.0") for o in levels.outlier_valid
           for i in levels.imputation_valid]))[:N_CONFIGS]
    shutil.rmtree(folder, ignore_errors=True)
    generate_store(folder, size="paper", seed=42, n_bootstrap=n_bootstrap,
                   runs=[run_spec(levels, c, 42) for c in configs],
                   model_iterations=iterations)
    return folder


def floor(store: Path, part: int = 0, parts: int = 1) -> int:
    """The plain loop over every `parts`-th model pickle from `part` (run in its own process
    by the benchmark)."""
    from catboost import Pool

    from plr_luigi.extraction.interpretation import member_shap
    from plr_luigi.store.safe_pickle import load_model_pickle, load_pickle
    from plr_luigi.study.configs import load_model_config

    study_class = load_model_config()["study_ensemble_class"]
    for path in sorted(store.glob("mlruns/*/*/artifacts/model/model_*.pickle"))[part::parts]:
        name = path.name.removeprefix("model_").removesuffix(".pickle")
        arrays = load_pickle(path.parent.parent / "dict_arrays" / f"dictArrays_{name}.pickle")
        test_pool = Pool(arrays["x_test"])
        for model in load_model_pickle(path, study_class):
            for member in model.ensemble:
                member_shap(member, test_pool)
    return 0


def floor_command(store: Path, part: int = 0, parts: int = 1) -> list[str]:
    return [common.PYTHON, "-m", "bench.bench_shap", "--floor", str(store),
            "--part", f"{part}/{parts}"]


def two_floors(store: Path) -> float:
    """Wall seconds of two floor loops side by side, each over half the configurations."""
    env = {**common.os.environ, "MLFLOW_ALLOW_FILE_STORE": "true"}
    started = time.perf_counter()
    halves = [common.subprocess.Popen(floor_command(store, k, 2), cwd=common.REPO, env=env)
              for k in range(2)]
    if any(p.wait() != 0 for p in halves):
        raise RuntimeError("a floor loop failed")
    return round(time.perf_counter() - started, 3)


def interpretation_build(store: Path, root: Path, workers: int) -> common.Measured:
    """The SHAP part of a build: the results database first (not timed), then
    MergeInterpretation from no interpretation output."""
    build = common.Build(store, root)
    if not build.db.is_file():
        extracted = common.luigi_build(build, "database.MergeToDuckDB")
        if extracted.returncode != 0:
            raise RuntimeError("database.MergeToDuckDB failed")
    shutil.rmtree(build.data_dir / "interim" / "interpretation", ignore_errors=True)
    (build.data_dir / "public" / "plr_interpretation.duckdb").unlink(missing_ok=True)
    measured = common.luigi_build(build, "database.MergeInterpretation", workers=workers,
                                  events=root / f"events-{workers}.jsonl")
    if measured.returncode != 0:
        raise RuntimeError(f"database.MergeInterpretation with {workers} workers failed")
    return measured


def main(argv=None) -> int:
    p = common.parser(__doc__.splitlines()[0])
    p.add_argument("--bootstrap", type=int, default=1000, help="bootstrap models per run")
    p.add_argument("--iterations", type=int, default=200, help="trees per CatBoost member")
    p.add_argument("--floor", type=Path, help=argparse.SUPPRESS)  # the floor's own process
    p.add_argument("--part", default="0/1", help=argparse.SUPPRESS)  # its share: k/n
    args = p.parse_args(argv)
    if args.floor:
        part, parts = map(int, args.part.split("/"))
        return floor(args.floor, part, parts)
    if args.smoke:
        args.bootstrap, args.iterations = 10, 20
    args.workdir = (args.workdir or common.WORK).resolve()
    args.results = (args.results or common.RESULTS).resolve()
    started = time.perf_counter()
    store = make_store(args.workdir / f"store-shap-{args.bootstrap}x{args.iterations}",
                       args.bootstrap, args.iterations).resolve()
    args.store = store
    generated_s = round(time.perf_counter() - started, 1)
    model_mb = sum(p.stat().st_size for p in store.glob("mlruns/*/*/artifacts/model/*.pickle"))
    floor_run = common.run_measured(floor_command(store))
    if floor_run.returncode != 0:
        return 1
    two_floors_s = two_floors(store)
    figures = {"configurations": N_CONFIGS, "bootstrap_models": args.bootstrap,
               "trees_per_member": args.iterations,
               "model_pickles_mb": round(model_mb / 2**20, 1), "store_generation_s": generated_s,
               "floor": {"wall_s": floor_run.wall_s, "cpu_s": round(floor_run.cpu_s, 3),
                         "peak_rss_mb": floor_run.peak_rss_mb},
               "two_floors": {"wall_s": two_floors_s,
                              "speedup": round(floor_run.wall_s / two_floors_s, 2)}}
    for workers in (1, 2):
        measured = interpretation_build(store, args.workdir / "build-shap", workers)
        figures[f"workers_{workers}"] = {
            "wall_s": measured.wall_s, "cpu_s": round(measured.cpu_s, 3),
            "peak_rss_mb": measured.peak_rss_mb,
            "peak_single_rss_mb": measured.peak_single_rss_mb,
            "shap_task_s": measured.task_seconds.get("interpretation.ShapForConfig"),
            "vs_floor": round(measured.wall_s / floor_run.wall_s, 2)}
    figures["speedup_2_workers"] = round(
        figures["workers_1"]["wall_s"] / figures["workers_2"]["wall_s"], 2)
    common.write_result(args, "shap", figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
