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
            rows.append((f"1. extraction peak RSS, {s['runs']} runs",
                         f"{s['build_peak_rss_mb']:.0f} MB{base}", "flat +-15 %, < 1 GB", ""))
        upto = [s["build_peak_rss_mb"] for s in f["sizes"] if s["runs"] <= 410]
        if len(upto) > 1:
            spread = max(upto) / min(upto) - 1
            rows.append(("1. peak RSS spread up to 410 runs", f"{100 * spread:.1f} %",
                         "<= 15 %", _yes(spread <= 0.15)))
        rows.append(("1. peak RSS spread over sizes", f"{100 * f['build_peak_rss_spread']:.1f} %",
                     "<= 15 %, < 1024 MB", _yes(f["goal_met"])))
    if r := _load("speed"):
        f = r["figures"]
        for w, b in f["builds"].items():
            rows.append((f"2. cold build, {f['runs']} runs, {w} worker(s)",
                         f"{b['runs_per_s']} runs/s ({b['wall_s']} s)", "", ""))
        rows.append(("2. floor: read + unpickle metrics pickles",
                     f"{f['floor_runs_per_s']} runs/s ({f['floor_s']} s)", "", ""))
        rows.append(("2. 1-worker build / floor", f"{f['build_over_floor_1_worker']}x",
                     "<= 1.5x", _yes(f["goal_met"])))
        if "speedup_2_workers" in f:
            rows.append(("2. 2 workers vs 1", f"{f['speedup_2_workers']}x faster", "", ""))
        one = f["builds"]["1"]
        rows.append(("4. outside tasks' run() in a cold 1-worker build",
                     f"{100 * one['overhead_share']:.1f} % ({one['outside_tasks_s']} s; "
                     f"{100 * one['overhead_share_excl_startup']:.1f} % without interpreter "
                     "start)", "< 5 %", _yes(one["overhead_share"] < 0.05)))
    if r := _load("merge"):
        f = r["figures"]
        slow = f["row_by_row"]
        rows.append((f"3. merge, {f['runs']} runs ({f['rows']:,} rows)",
                     f"bulk {f['bulk_s']} s vs row-by-row {slow['seconds']} s"
                     f"{' (extrapolated)' if slow['extrapolated'] else ''}: {f['speedup']}x",
                     ">= 20x", _yes(f["goal_met"])))
    if r := _load("orchestration"):
        f = r["figures"]
        rows.append((f"4. nothing-to-do build ({f['runs']} runs, `luigi` CLI)",
                     f"{f['noop_build_s']} s (median)", "< 3 s", _yes(f["goal_met_noop"])))
        for g in f["trivial_graphs"]:
            rows.append((f"4. trivial graph, {g['tasks'] - 2} runs",
                         f"overhead {g['overhead_s']} s ({g['overhead_ms_per_task']} ms/task)"
                         f", no-op {g['noop_build_s']} s", "", ""))
        rows.append(("4. overhead growth 410 -> 4,100 runs",
                     f"{f['overhead_growth']}x for {f['task_growth']}x tasks", "linear", ""))
    speed, orchestration = _load("speed"), _load("orchestration")
    if speed and orchestration:
        cold = speed["figures"]["builds"]["1"]["wall_s"]
        luigi_s = orchestration["figures"]["trivial_graphs"][0]["overhead_s"]
        rows.append(("4. Luigi scheduling (same-shape graph) / cold 1-worker build",
                     f"{100 * luigi_s / cold:.1f} % ({luigi_s} s of {cold} s)", "< 5 %",
                     _yes(luigi_s / cold < 0.05)))
    if r := _load("analysis"):
        f = r["figures"]
        rows.append((f"5. analysis stage from the database ({f['runs']} runs)",
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
    return rows


def render() -> str:
    lines = ["| # / what | figure | goal | status |", "|---|---|---|---|"]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in summary_rows()]
    runs = {n: _load(n) for n in ("memory", "speed", "merge", "orchestration", "analysis",
                                   "reproduce", "imputation")}
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
