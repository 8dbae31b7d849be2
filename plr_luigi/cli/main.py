"""The `plr-luigi` command: utilities around the Luigi graph.

    plr-luigi synth --out DIR --size demo|paper --seed N [--tracking-uri URI] [--runs N]
    plr-luigi ensure-demo-store      # synthesise the default store if luigi.cfg points at it
    plr-luigi status | invalidate TASK [--downstream] [--dry-run] | graph [--picture]
    plr-luigi gc [--yes]             # run folders and outputs no task needs any more
    plr-luigi diff                   # what changed between the last two builds
    plr-luigi periodic [--workers N]  # the build cron / a systemd timer runs (docs/operations.md)

The build itself is `luigi --module plr_luigi ReproduceAll` (see the README).
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

logger = logging.getLogger(__name__)

# Where luigi.cfg's default tracking_uri points: the embedded synthetic store.
DEFAULT_SYNTHETIC_DIR = Path("data/synthetic")


def _synth(args: argparse.Namespace) -> int:
    from plr_luigi.synth import generate_store

    summary = generate_store(Path(args.out), size=args.size, seed=args.seed,
                             tracking_uri=args.tracking_uri, n_runs=args.runs,
                             n_bootstrap=args.bootstrap)
    print(f"synthetic store: {summary.tracking_uri} ({summary.n_runs_logged} runs, "
          f"{summary.n_valid_configurations} valid configurations); "
          f"source database: {summary.source_db}")
    return 0


def _ensure_demo_store(args: argparse.Namespace) -> int:
    """Create the demo store when the configured store is the default synthetic one and absent.

    A user who points luigi.cfg (or LUIGI_CONFIG_PATH) at a real store gets nothing generated.
    """
    from plr_luigi.store.mlflow_store import normalise_tracking_uri
    from plr_luigi.tasks.settings import plr

    configured = normalise_tracking_uri(plr().tracking_uri)
    default = normalise_tracking_uri(str(DEFAULT_SYNTHETIC_DIR / "mlruns"))
    if configured != default:
        print(f"store configured: {plr().tracking_uri} (no synthetic store needed)")
        return 0
    if Path(default).is_dir():
        print(f"synthetic demo store present: {default}")
        return 0
    args.out, args.size, args.tracking_uri, args.runs, args.bootstrap = (
        str(DEFAULT_SYNTHETIC_DIR), "demo", None, None, None)
    return _synth(args)


def _diff(args: argparse.Namespace) -> int:
    """What the report page's "What changed" section shows, in the terminal."""
    from plr_luigi.report.build_history import changes_text, compare, latest_pair
    from plr_luigi.tasks.settings import plr

    previous, latest = latest_pair(plr().history_path())
    print(changes_text(compare(previous, latest) if previous and latest else None), end="")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="plr-luigi", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)

    synth = commands.add_parser("synth", help="generate a synthetic MLflow store")
    synth.add_argument("--out", required=True, help="folder for mlruns/ and subjects.sqlite")
    synth.add_argument("--size", choices=("demo", "paper"), default="demo")
    synth.add_argument("--seed", type=int, default=42)
    synth.add_argument("--tracking-uri", help="log to this store instead of OUT/mlruns")
    synth.add_argument("--runs", type=int, help="number of runs (default: the size's)")
    synth.add_argument("--bootstrap", type=int, help="bootstrap iterations (default: the size's)")
    synth.set_defaults(handler=_synth)

    ensure = commands.add_parser("ensure-demo-store",
                                 help="synthesise the default store if it is configured and absent")
    ensure.add_argument("--seed", type=int, default=42)
    ensure.set_defaults(handler=_ensure_demo_store)

    diff = commands.add_parser("diff", help="numbers, runs and figures changed between the "
                                            "last two builds")
    diff.set_defaults(handler=_diff, accepts_plr_overrides=True)

    from plr_luigi.cli.graph_commands import register_commands
    from plr_luigi.cli.periodic import register_command as register_periodic

    register_commands(commands)
    register_periodic(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # Luigi adds a handler of its own when a build starts (`periodic`): its lines then came out
    # twice, through that handler and through this one.
    import luigi.configuration

    luigi.configuration.get_config().set("core", "no_configure_logging", "true")
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra:
        if not getattr(args, "accepts_plr_overrides", False):
            parser.error(f"unrecognized arguments: {' '.join(extra)}")
        from plr_luigi.cli.graph_commands import apply_plr_overrides

        apply_plr_overrides(extra)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
