"""Shared pieces of the benchmarks: stores, subset stores, timed Luigi builds, result files.

A benchmark is a script (`python -m bench.bench_<name> [--smoke]`) that prints its figures and
writes them to `bench/results/<name>.json`; `make bench` runs them all (`bench/run.py`).
Builds go through the `luigi` command line in a child process (bench/luigi_child.py, which is
`luigi` plus a hook recording each task's run time), so that interpreter start, imports and
Luigi's scheduling are measured as a user meets them.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parent.parent
WORK = REPO / "bench" / ".work"
RESULTS = REPO / "bench" / "results"
PYTHON = sys.executable
CLASSIFICATION = "PLR_Classification"
# The paper-size store the full benchmarks share: 200 runs of real files (6 GB, the disk is
# shared); smaller stores are subsets of it, larger ones scaled from it (store_of).
PAPER_STORE = {"size": "paper", "seed": 42, "n_runs": 200}
# A tiny store for --smoke runs (seconds, not minutes). Its build has the outputs and the n/a
# outputs (variance decomposition and four critical-difference scopes: too few configurations)
# of its 30-bootstrap version: 10 bootstrap iterations cut its complete build by ~15 %.
SMOKE_STORE = {"size": "demo", "seed": 5, "n_runs": 24, "n_bootstrap": 10,
               "model_pickle_bytes": 20_000}
# How a --smoke run's figures are drawn: at a low resolution ([plr] figure_dpi) and without
# their PDFs ([plr] figure_pdf). A smoke run checks that the figures come out, not their pixels
# (the published 200 dpi's PNG encoding was ~7% of a small store's build, the PDFs ~25%).
SMOKE_FIGURE_DPI = 40
# The --smoke runs' one complete build (bench_reproduce's `make reproduce`) in their shared
# workdir: bench_orchestration's nothing-to-do build is timed on it.
SMOKE_REPRODUCE_BUILD = "reproduce-smoke"
# Seconds between two samples of a measured process tree's resident memory. A sample walks
# every process of the machine (psutil's children): ~3 ms of CPU at ~100 processes, 6 % of a
# core at 50 ms. A --smoke run only checks that a peak comes out, and samples less often.
SAMPLE_INTERVAL_S = 0.05
SMOKE_SAMPLE_INTERVAL_S = 0.5
_SAMPLE_INTERVAL = [SAMPLE_INTERVAL_S]


_LOAD_AT_START: list[float] = []


def parser(description: str) -> argparse.ArgumentParser:
    """Every benchmark's command line; called first, so it also notes the load at the start."""
    _LOAD_AT_START[:] = [round(x, 2) for x in os.getloadavg()]
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--smoke", action="store_true", help="tiny store, one repetition: a check")
    p.add_argument("--store", type=Path, help="a synthetic store folder (mlruns/, subjects.sqlite)"
                   "; default: the paper store in bench/.work (generated if absent)")
    p.add_argument("--workdir", type=Path, help="scratch folder (default bench/.work)")
    p.add_argument("--results", type=Path, help="results folder (default bench/results)")
    return p


def resolve_args(args) -> None:
    _SAMPLE_INTERVAL[0] = SMOKE_SAMPLE_INTERVAL_S if args.smoke else SAMPLE_INTERVAL_S
    args.workdir = (args.workdir or WORK).resolve()
    args.results = (args.results or RESULTS).resolve()
    args.workdir.mkdir(parents=True, exist_ok=True)
    if args.store is None:
        args.store = ensure_store(args.workdir / ("store-smoke" if args.smoke else "store200"),
                                  SMOKE_STORE if args.smoke else PAPER_STORE)
    args.store = args.store.resolve()


def ensure_store(folder: Path, spec: dict) -> Path:
    if not (folder / "subjects.sqlite").is_file():
        from plr_luigi.synth import generate_store

        shutil.rmtree(folder, ignore_errors=True)
        generate_store(folder, **spec)
    return folder


def machine() -> dict:
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO,
                            capture_output=True, text=True).stdout.strip()
    return {"date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "commit": commit, "host": platform.node(), "python": platform.python_version(),
            "cpus": os.cpu_count(), "ram_gb": round(psutil.virtual_memory().total / 2**30, 1),
            "load_avg_start": _LOAD_AT_START or [round(x, 2) for x in os.getloadavg()]}


def write_result(args, name: str, figures: dict) -> Path:
    args.results.mkdir(parents=True, exist_ok=True)
    result = {"benchmark": name, "smoke": bool(args.smoke), "machine": machine(),
              "store": str(args.store), "figures": figures}
    result["machine"]["load_avg_end"] = [round(x, 2) for x in os.getloadavg()]
    path = args.results / f"{name}{'.smoke' if args.smoke else ''}.json"
    path.write_text(json.dumps(result, indent=1), encoding="utf-8")
    print(json.dumps(figures, indent=1))
    print(f"-> {path}")
    return path


def median(values) -> float:
    return round(statistics.median(values), 3)


def _run_dirs_by_start(experiment_dir: Path) -> list[Path]:
    runs = []
    for meta in experiment_dir.glob("*/meta.yaml"):
        start = next((line.split(":", 1)[1].strip() for line in meta.read_text().splitlines()
                      if line.startswith("start_time:")), "0")
        runs.append((int(start) if start.isdigit() else 0, meta.parent.name, meta.parent))
    return [p for _, _, p in sorted(runs)]


def _classification_dir(mlruns: Path) -> Path:
    for meta in mlruns.glob("*/meta.yaml"):
        if any(line.strip() == f"name: {CLASSIFICATION}" for line in meta.read_text().splitlines()):
            return meta.parent
    raise FileNotFoundError(f"no {CLASSIFICATION} experiment in {mlruns}")


def count_runs(store: Path) -> int:
    return len(list(_classification_dir(store / "mlruns").glob("*/meta.yaml")))


def _store_skeleton(store: Path, dest: Path) -> tuple[Path, Path]:
    """dest/mlruns with every experiment of `store` but the classification one symlinked, and
    an empty classification experiment (its meta.yaml copied): (store's, dest's) folder of it."""
    shutil.rmtree(dest, ignore_errors=True)
    mlruns = dest / "mlruns"
    mlruns.mkdir(parents=True)
    cls_dir = _classification_dir(store / "mlruns")
    for exp in (store / "mlruns").iterdir():
        if exp != cls_dir:
            (mlruns / exp.name).symlink_to(exp)
    new_cls = mlruns / cls_dir.name
    new_cls.mkdir()
    shutil.copy2(cls_dir / "meta.yaml", new_cls / "meta.yaml")
    return cls_dir, new_cls


def subset_store(store: Path, n_runs: int, dest: Path) -> Path:
    """A store holding the first n_runs classification runs of `store` (by start time), made of
    symlinks: no pickle is copied, so scaled stores cost no disk."""
    cls_dir, new_cls = _store_skeleton(store, dest)
    runs = _run_dirs_by_start(cls_dir)
    if n_runs > len(runs):
        raise ValueError(f"{store} holds {len(runs)} runs, fewer than {n_runs}")
    for run in runs[:n_runs]:
        (new_cls / run.name).symlink_to(run)
    (dest / "subjects.sqlite").symlink_to(store / "subjects.sqlite")
    return dest


def scaled_store(store: Path, n_runs: int, dest: Path) -> Path:
    """A store of n_runs classification runs made from the runs of `store`, for counts beyond
    what its disk allows: each run has its own id, metadata files and name (the synthetic
    design's runs in order: distinct configurations, quirks included), and its metrics pickle
    is a symlink to one of `store`'s finished runs (cycled). A few MB of disk."""
    import uuid

    import yaml

    from plr_luigi.synth.design import build_run_list
    from plr_luigi.synth.registry import load_levels

    cls_dir, new_cls = _store_skeleton(store, dest)
    bases = []
    for run in _run_dirs_by_start(cls_dir):
        meta = yaml.safe_load((run / "meta.yaml").read_text())
        pickle = run / "artifacts" / "metrics" / f"metrics_{meta['run_name']}.pickle"
        if meta["status"] == 3 and meta["lifecycle_stage"] == "active" and pickle.is_file():
            bases.append((run, meta, pickle))
    names = [spec.name for spec in build_run_list(load_levels(), n_runs, seed=42)]
    for i, name in enumerate(names):
        run, meta, pickle = bases[i % len(bases)]
        run_id = uuid.UUID(int=i + 1).hex
        new = new_cls / run_id
        (new / "artifacts" / "metrics").mkdir(parents=True)
        (new / "tags").mkdir()
        (new / "params").symlink_to(run / "params")
        (new / "metrics").symlink_to(run / "metrics")
        for tag in (run / "tags").iterdir():
            if tag.name != "mlflow.runName":
                (new / "tags" / tag.name).symlink_to(tag)
        (new / "tags" / "mlflow.runName").write_text(name)
        (new / "artifacts" / "metrics" / f"metrics_{name}.pickle").symlink_to(pickle)
        (new / "meta.yaml").write_text(yaml.safe_dump({
            **meta, "run_id": run_id, "run_name": name,
            "artifact_uri": str(new / "artifacts"), "start_time": meta["start_time"] + i,
            "end_time": meta["end_time"] + i}))
    (dest / "subjects.sqlite").symlink_to(store / "subjects.sqlite")
    return dest


def store_of(store: Path, n_runs: int, dest: Path) -> Path:
    """n_runs runs: the first of `store` (its own files) where it holds that many, else a
    store scaled from it (distinct runs sharing its pickles)."""
    if n_runs <= count_runs(store):
        return subset_store(store, n_runs, dest)
    return scaled_store(store, n_runs, dest)


@dataclass
class Build:
    """One build's settings: a store and its own data and output folders."""

    store: Path
    root: Path
    draft: bool = False  # figures at SMOKE_FIGURE_DPI and without PDFs (--smoke)

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def output_dir(self) -> Path:
        return self.root / "outputs"

    @property
    def db(self) -> Path:
        return self.data_dir / "public" / "plr_results.duckdb"

    def config(self) -> Path:
        self.root.mkdir(parents=True, exist_ok=True)
        cfg = self.root / "bench.cfg"
        cfg.write_text(f"[plr]\ntracking_uri = {self.store / 'mlruns'}\n"
                       f"source_db = {self.store / 'subjects.sqlite'}\n"
                       f"data_dir = {self.data_dir}\noutput_dir = {self.output_dir}\n"
                       f"figure_dpi = {SMOKE_FIGURE_DPI if self.draft else 0}\n"
                       f"figure_pdf = {str(not self.draft).lower()}\n")
        return cfg

    def run_dirs(self) -> list[Path]:
        # runs/<run_id>/<fingerprint>/: one folder per extraction of a run's current state.
        return sorted(record.parent for record in
                      (self.data_dir / "interim" / "runs").glob("*/*/record.json"))


@dataclass
class Measured:
    wall_s: float
    returncode: int
    peak_rss_mb: float  # sum over the process tree at the worst sample
    peak_single_rss_mb: float  # the largest single process
    cpu_s: float = 0.0  # user + system CPU of the process and every child it waited for
    task_seconds: dict[str, float] = field(default_factory=dict)  # family -> summed run() time
    task_counts: dict[str, int] = field(default_factory=dict)
    # family -> (first start, last end) of its tasks' run(), seconds of Unix time
    task_spans: dict[str, tuple[float, float]] = field(default_factory=dict)
    task_cpu_seconds: dict[str, float] = field(default_factory=dict)  # family -> summed CPU


def _tree_rss(proc: psutil.Process) -> tuple[float, float]:
    total = single = 0.0
    try:
        procs = [proc, *proc.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0.0, 0.0
    for p in procs:
        try:
            rss = p.memory_info().rss
        except psutil.NoSuchProcess:
            continue
        total += rss
        single = max(single, rss)
    return total / 2**20, single / 2**20


def run_measured(cmd: list[str], env: dict | None = None, cwd: Path = REPO,
                 interval: float | None = None, events: Path | None = None) -> Measured:
    """Run cmd, sampling the resident memory of it and all its children every `interval`
    seconds (default: SAMPLE_INTERVAL_S, a --smoke run's SMOKE_SAMPLE_INTERVAL_S)."""
    interval = interval or _SAMPLE_INTERVAL[0]
    full_env = {**os.environ, "MLFLOW_ALLOW_FILE_STORE": "true", **(env or {})}
    if events is not None:
        events.unlink(missing_ok=True)
        full_env["PLR_BENCH_EVENTS"] = str(events)
    peak = [0.0, 0.0]
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=full_env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    ps = psutil.Process(proc.pid)
    done = threading.Event()

    def sample():
        while not done.is_set():
            total, single = _tree_rss(ps)
            peak[0], peak[1] = max(peak[0], total), max(peak[1], single)
            done.wait(interval)  # returns as the command ends: no sleep left to wait out

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    output = proc.communicate()[0].decode(errors="replace")
    wall = time.perf_counter() - started
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    done.set()
    sampler.join()
    if proc.returncode != 0:
        print(output[-4000:], file=sys.stderr)
    measured = Measured(round(wall, 3), proc.returncode, round(peak[0], 1), round(peak[1], 1),
                        round(cpu, 3))
    if events is not None and events.is_file():
        for line in events.read_text().splitlines():
            family, seconds, end, cpu = json.loads(line)
            measured.task_seconds[family] = round(measured.task_seconds.get(family, 0) + seconds, 3)
            measured.task_cpu_seconds[family] = round(
                measured.task_cpu_seconds.get(family, 0) + cpu, 3)
            measured.task_counts[family] = measured.task_counts.get(family, 0) + 1
            first, last = measured.task_spans.get(family, (end - seconds, end))
            measured.task_spans[family] = (min(first, end - seconds), max(last, end))
    return measured


def read_into_page_cache(folder: Path) -> int:
    """Read every file under folder once (symlinks followed), so that the first measured build
    finds the store where the later ones do: in the page cache. Returns the bytes read."""
    total = 0
    for root, _dirs, files in os.walk(folder, followlinks=True):
        for name in files:
            try:
                with open(os.path.join(root, name), "rb") as fh:
                    while chunk := fh.read(2**24):
                        total += len(chunk)
            except OSError:
                continue
    return total


def drop_from_page_cache(folder: Path) -> int:
    """posix_fadvise(DONTNEED) on every file under folder (symlinks followed): the next read
    comes from the disk, as in a first build on a real store. Returns the files dropped."""
    dropped = 0
    for root, _dirs, files in os.walk(folder, followlinks=True):
        for name in files:
            try:
                fd = os.open(os.path.join(root, name), os.O_RDONLY)
            except OSError:
                continue
            try:
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
                dropped += 1
            finally:
                os.close(fd)
    return dropped


def luigi_build(build: Build, task: str = "ReproduceAll", workers: int = 1,
                events: Path | None = None) -> Measured:
    """`luigi --module plr_luigi <task> --local-scheduler --workers N` on build's settings."""
    cmd = [PYTHON, "-m", "bench.luigi_child", "--module", "plr_luigi", task,
           "--local-scheduler", "--workers", str(workers),
           # Luigi's pid lock is keyed on the command line: concurrent benchmark builds of other
           # stores would otherwise refuse to start ("already running").
           "--no-lock"]
    return run_measured(cmd, env={"LUIGI_CONFIG_PATH": str(build.config())}, events=events)


def luigi_cli(build: Build, task: str = "ReproduceAll") -> Measured:
    """The installed `luigi` entry point itself (for the nothing-to-do build)."""
    cmd = [str(Path(PYTHON).parent / "luigi"), "--module", "plr_luigi", task, "--local-scheduler"]
    return run_measured(cmd, env={"LUIGI_CONFIG_PATH": str(build.config())})


def completed_build(args, n_runs: int | None, name: str) -> Build:
    """A completed ReproduceAll build on the first n_runs runs (reused when present)."""
    n = n_runs or count_runs(args.store)
    store = store_of(args.store, n, args.workdir / f"subset-{n}") if n_runs else args.store
    build = Build(store, args.workdir / f"{name}-{n}")
    m = luigi_build(build, "ReproduceAll")
    if m.returncode not in (0, 30):  # 30: a deliberately failed run of the synthetic store
        raise RuntimeError(f"build failed with exit code {m.returncode}")
    return build
