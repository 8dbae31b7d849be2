"""The whole `make reproduce` on the demo store: cold (derived data removed with `make clean`;
the demo store is generated beforehand if absent, outside the timing) and warm (nothing to do).

    python -m bench.bench_reproduce [--repeat 3]

--smoke runs `make reproduce` against the tiny store's own data folders instead (through
LUIGI_CONFIG_PATH), leaving the repository's data/ alone.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

from bench import common


def make(target: str, env: dict) -> common.Measured:
    return common.run_measured(["make", "--no-print-directory", target], env=env)


def main(argv=None) -> int:
    p = common.parser(__doc__)
    p.add_argument("--repeat", type=int, default=2)
    args = p.parse_args(argv)
    if args.smoke:
        common.resolve_args(args)
        build = common.Build(args.store, args.workdir / common.SMOKE_REPRODUCE_BUILD,
                             draft=True)
        env = {"LUIGI_CONFIG_PATH": str(build.config()), "MAKEFLAGS": ""}
        args.repeat = 1

        def clean():
            shutil.rmtree(build.root / "data", ignore_errors=True)
            shutil.rmtree(build.root / "outputs", ignore_errors=True)
    else:
        args.workdir = (args.workdir or common.WORK).resolve()
        args.results = (args.results or common.RESULTS).resolve()
        args.store = common.REPO / "data" / "synthetic"
        env = {"MAKEFLAGS": ""}
        os.environ.pop("LUIGI_CONFIG_PATH", None)
        subprocess.run(["make", "--no-print-directory", "install"], cwd=common.REPO, check=True)
        subprocess.run([str(common.REPO / ".venv" / "bin" / "plr-luigi"), "ensure-demo-store"],
                       cwd=common.REPO, check=True)

        def clean():
            subprocess.run(["make", "--no-print-directory", "clean"], cwd=common.REPO, check=True)
    cold, warm = [], []
    for _ in range(args.repeat):
        clean()
        m = make("reproduce", env)
        if m.returncode != 0:
            raise RuntimeError(f"cold make reproduce failed ({m.returncode})")
        cold.append(m)
    for _ in range(args.repeat):
        m = make("reproduce", env)
        if m.returncode != 0:
            raise RuntimeError(f"warm make reproduce failed ({m.returncode})")
        warm.append(m)
    figures = {"cold_s": common.median([m.wall_s for m in cold]),
               "cold_s_all": [m.wall_s for m in cold],
               "cold_peak_rss_mb": max(m.peak_rss_mb for m in cold),
               "warm_s": common.median([m.wall_s for m in warm]),
               "warm_s_all": [m.wall_s for m in warm]}
    common.write_result(args, "reproduce", figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
