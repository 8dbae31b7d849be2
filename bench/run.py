"""`make bench [BENCH=name]`: run every benchmark (or one) and rewrite the summary table of
BENCHMARKS.md from bench/results/*.json.

    python -m bench.run [memory speed merge orchestration analysis reproduce imputation shap]
    python -m bench.run --summary-only
"""

from __future__ import annotations

import importlib
import sys

from bench import summary

ORDER = ("memory", "speed", "merge", "orchestration", "analysis", "reproduce", "imputation",
         "shap")


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if "--summary-only" not in argv:
        names = [a for a in argv if not a.startswith("-")] or list(ORDER)
        unknown = set(names) - set(ORDER)
        if unknown:
            raise SystemExit(f"unknown benchmark(s) {sorted(unknown)}; choose from {ORDER}")
        for name in names:
            print(f"== bench {name}", flush=True)
            module = importlib.import_module(f"bench.bench_{name}")
            if module.main([]) != 0:
                return 1
    summary.update_benchmarks_md()
    return 0


if __name__ == "__main__":
    sys.exit(main())
