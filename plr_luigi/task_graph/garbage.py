"""Targets no current task needs, as gokart's `delete_unnecessary_output_files` finds them: run
folders of fingerprints the store no longer gives (a run finished later, renamed, deleted, a
changed schema) and files under the output folder that no task of the graph writes any more.
`plr-luigi gc` lists them and, with `--yes`, removes them (plr_luigi.cli.graph_commands).

Only two kinds of places are looked at: run folders (`<runs root>/<run id>/<fingerprint>`, the
classification runs' under data/interim/runs and each upstream experiment's under
data/private/upstream) and the files under the output folder. Nothing inside or around a
protected path (the MLflow store, which may live in the data folder) is ever listed.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path


def _absolute(paths: Iterable[Path]) -> set[Path]:
    return {Path(p).absolute() for p in paths}


def _touches(path: Path, protected: set[Path]) -> bool:
    return any(path == p or path in p.parents or p in path.parents for p in protected)


def unneeded_run_folders(runs_root: Path, needed: Iterable[Path]) -> list[Path]:
    """The `<run id>/<fingerprint>` folders under runs_root that are not needed; a run id's
    folder is listed whole when none of its folders is needed (a run gone from the store)."""
    needed = _absolute(needed)
    found: list[Path] = []
    for run_folder in sorted(p for p in Path(runs_root).absolute().iterdir() if p.is_dir()):
        old = sorted(p for p in run_folder.iterdir() if p not in needed)
        if len(old) == len(list(run_folder.iterdir())):
            found.append(run_folder)
        else:
            found.extend(old)
    return found


def unneeded_outputs(output_dir: Path, needed: Iterable[Path], kept: Iterable[Path] = ()
                     ) -> list[Path]:
    """The files under output_dir that are no needed path and not inside a needed or kept
    folder."""
    needed, kept = _absolute(needed), _absolute(kept)
    return sorted(path for path in Path(output_dir).absolute().rglob("*")
                  if path.is_file() and path not in needed
                  and not any(parent in needed or parent in kept for parent in path.parents))


def find_garbage(needed: Iterable[Path], runs_roots: Iterable[Path], output_dir: Path,
                 kept_outputs: Iterable[Path], protected: Iterable[Path]) -> list[Path]:
    """Every unneeded run folder and output file (see above), none touching a protected path."""
    needed, protected = _absolute(needed), _absolute(protected)
    found = [p for root in runs_roots if Path(root).is_dir()
             for p in unneeded_run_folders(root, needed)]
    if Path(output_dir).is_dir():
        found += unneeded_outputs(output_dir, needed, kept_outputs)
    return [p for p in found if not _touches(p, protected)]
