"""The summary table of BENCHMARKS.md, rewritten from bench/results/*.json between the
`<!-- bench:summary -->` markers (the prose around it is kept)."""

from __future__ import annotations

import json
from pathlib import Path

from bench.common import REPO, RESULTS

BEGIN, END = "<!-- bench:summary:begin -->", "<!-- bench:summary:end -->"


def _load(name: str) -> dict | None:
    path = RESULTS / f"{name}.json"
    return json.loads(path.read_text()) if path.is_file() else None


def _yes(flag) -> str:
    return "met" if flag else "**missed**"


def summary_rows() -> list[tuple[str, str, str, str]]:
    """(what, figure, goal, status) per measured figure."""
    rows = []
    if r := _load("memory"):
        f = r["figures"]
        for s in f["sizes"]:
            base = (f"; earlier pattern {s['baseline_peak_rss_mb']:.0f} MB "
                    f"({s['baseline_over_build_memory']}x)" if "baseline_peak_rss_mb" in s else "")
            rows.append((f"4. extraction peak RSS, {s['runs']} runs",
                         f"{s['build_peak_single_rss_mb']:.0f} MB{base}", "flat +-10 %, < 1 GB",
                         ""))
        sizes = [s["runs"] for s in f["sizes"]]
        rows.append((f"4. peak RSS spread, {min(sizes)} to {max(sizes)} runs",
                     f"{100 * f['build_peak_rss_spread']:.1f} %", "<= 10 %, < 1024 MB",
                     _yes(f["goal_met"])))
    if r := _load("speed"):
        f = r["figures"]
        small, large = f["runs"]
        rows.append(("1. floor: read + unpickle a metrics pickle (page cache warm)",
                     f"{f['floor_ms_per_run']} ms/run ({f['floor_runs']} runs in {f['floor_s']} s)",
                     "", ""))
        rows.append((f"1. cold build, 1 worker, per run ({small} vs {large} runs)",
                     f"{f['ms_per_run']} ms/run: {f['per_run_over_floor']}x the floor "
                     f"(ExtractRun run(): {f['ms_per_run_in_extract_tasks']} ms/run, "
                     f"{f['extract_tasks_over_floor']}x)", "<= 3x", _yes(f["goal_met"])))
        if "cpu_ms_per_run" in f:
            rows.append(("1. the same in CPU time", f"{f['cpu_ms_per_run']} ms/run against "
                         f"{f['floor_cpu_ms_per_run']} ms: {f['cpu_per_run_over_floor_cpu']}x",
                         "<= 3x", _yes(0 < f["cpu_per_run_over_floor_cpu"] <= 3)))
        if "speedup_2_workers" in f:
            rows.append((f"2. 2 workers vs 1, {large} runs",
                         f"{f['speedup_2_workers']}x the throughput ({f['wall_1_worker_large_s']}"
                         f" s vs {f['wall_2_workers_large_s']} s; extraction phase "
                         f"{f['speedup_2_workers_extract_phase']}x; CPU per run in a forked "
                         f"batch {f.get('cpu_per_run_2_workers_over_1', '?')}x in process"
                         + (f"; two floor processes side by side: {f['two_floors_speedup']}x "
                            "one" if "two_floors_speedup" in f else "") + ")",
                         ">= 1.6x",
                         _yes(f["goal_met_workers"])))
        if cold := f.get("cold_disk"):
            rows.append((f"5. cold disk (posix_fadvise DONTNEED), {large} runs",
                         f"floor {cold['floor_s']} s, 1-worker build {cold['build_wall_s']} s "
                         f"({cold['build_over_floor']}x; warm build {cold['warm_build_wall_s']} s)",
                         "shown", "met"))
    if r := _load("merge"):
        f = r["figures"]
        slow = f["row_by_row"]
        rows.append((f"merge, {f['runs']} runs ({f['rows']:,} rows)",
                     f"bulk {f['bulk_s']} s vs row-by-row {slow['seconds']} s"
                     f"{' (extrapolated)' if slow['extrapolated'] else ''}: {f['speedup']}x",
                     ">= 20x", _yes(f["goal_met"])))
    if r := _load("orchestration"):
        f = r["figures"]
        rows.append((f"6. nothing-to-do build ({f['runs']} runs, `luigi` CLI)",
                     f"{f['noop_build_s']} s (median)", "< 3 s", _yes(f["goal_met_noop"])))
        for g in f["trivial_graphs"] + f.get("batched_graphs", []):
            kind = "batched" if g.get("batched") else "one task per run"
            rows.append((f"3. trivial graph, {g['tasks'] - 2} runs, {kind}",
                         f"Luigi {g['overhead_s']} s ({g['overhead_ms_per_task']} ms/run)", "",
                         ""))
    speed, orchestration = _load("speed"), _load("orchestration")
    if speed and orchestration and speed["figures"]["ms_per_run"] > 0:
        per_run_s = speed["figures"]["ms_per_run"] / 1000
        for g in orchestration["figures"].get("batched_graphs", []):
            n = g["tasks"] - 2
            share = g["overhead_s"] / (g["overhead_s"] + n * per_run_s)
            rows.append((f"3. Luigi's share of a cold build, {n:,} runs (batched)",
                         f"{100 * share:.1f} % ({g['overhead_s']} s of Luigi beside "
                         f"{n:,} x {speed['figures']['ms_per_run']} ms)", "<= 10 %",
                         _yes(share <= 0.10) if n >= 4100 else ""))
    if r := _load("analysis"):
        f = r["figures"]
        rows.append((f"analysis stage from the database ({f['runs']} runs)",
                     f"{f['analysis_s']} s (median)", "", ""))
    if r := _load("reproduce"):
        f = r["figures"]
        rows.append(("6. `make reproduce`, demo store, cold", f"{f['cold_s']} s (median)", "", ""))
        rows.append(("6. `make reproduce`, demo store, warm", f"{f['warm_s']} s (median)", "", ""))
    if r := _load("imputation"):
        f = r["figures"]
        for s in f["sizes"]:
            rows.append((f"7. imputation extraction peak RSS, {s['imputation_runs']} runs",
                         f"{s['build_peak_rss_mb']:.0f} MB (signals merge "
                         f"{s['signals_merge_peak_rss_mb']:.0f} MB)", "flat +-15 %", ""))
        rows.append(("7. imputation peak RSS spread", f"{100 * f['build_peak_rss_spread']:.1f} %",
                     "<= 15 %", _yes(f["goal_met"])))
        last = f["sizes"][-1]
        rows.append((f"7. extraction / plain unpickling, {last['imputation_runs']} runs",
                     f"{f['extraction_over_floor']}x ({last['upstream_extraction_s']} s vs "
                     f"{last['floor_unpickle_s']} s)", "", ""))
    if r := _load("shap"):
        f = r["figures"]
        size = (f"{f['configurations']} x {f['bootstrap_models']} two-member ensembles of "
                f"{f['trees_per_member']} trees")
        rows.append((f"8. SHAP floor: unpickle + explain both members, {size}",
                     f"{f['floor']['wall_s']} s (peak RSS {f['floor']['peak_rss_mb']:.0f} MB)",
                     "", ""))
        one, two = f["workers_1"], f["workers_2"]
        rows.append(("8. SHAP build, 1 worker (study's estimate: 30-60 min)",
                     f"{one['wall_s']} s: {one['vs_floor']}x the floor", "<= 1.5x",
                     _yes(one["vs_floor"] <= 1.5)))
        floors = f.get("two_floors")
        beside = (f"; two floor loops side by side: {floors['speedup']}x one"
                  if floors else "")
        rows.append(("8. SHAP build, 2 workers vs 1",
                     f"{f['speedup_2_workers']}x ({two['wall_s']} s){beside}", ">= 1.6x",
                     _yes(f["speedup_2_workers"] >= 1.6)))
        peak = max(one["peak_rss_mb"], two["peak_rss_mb"])
        rows.append(("8. SHAP build peak RSS (process tree)", f"{peak:.0f} MB", "< 2 GB",
                     _yes(peak < 2048)))
    return rows


def render() -> str:
    lines = ["| # / what | figure | goal | status |", "|---|---|---|---|"]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in summary_rows()]
    runs = {n: _load(n) for n in ("memory", "speed", "merge", "orchestration", "analysis",
                                   "reproduce", "imputation", "shap")}
    lines += ["", "| benchmark | date (UTC) | commit | load avg start -> end |",
              "|---|---|---|---|"]
    for name, r in runs.items():
        if r:
            m = r["machine"]
            lines.append(f"| {name} | {m['date']} | {m['commit']} | "
                         f"{m['load_avg_start'][0]} -> {m['load_avg_end'][0]} |")
    return "\n".join(lines)


def update_benchmarks_md(path: Path = REPO / "BENCHMARKS.md") -> None:
    text = (path.read_text(encoding="utf-8") if path.is_file()
            else f"# Benchmarks\n\n{BEGIN}\n{END}\n")
    head, rest = text.split(BEGIN, 1)
    tail = rest.split(END, 1)[1]
    path.write_text(f"{head}{BEGIN}\n{render()}\n{END}{tail}", encoding="utf-8")
    print(f"summary table -> {path}")
