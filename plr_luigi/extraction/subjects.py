"""The private subject lookup: original codes (PLR1xxx, PLR4xxx) -> public codes (H001, G001).

Labelled subjects ordered by (class_label, original code) become H001.. (control) and G001..
(glaucoma). The source database provides the labelled subjects; without one, the codes found in
the runs' params are used, labelled by their prefix (PLR1 control, PLR4 glaucoma), which gives
the same mapping when the runs hold every labelled subject.

A lookup is only ever extended: a subject that appears later (a new run's, or the source
database's) gets the next code of its class, and no subject already coded changes its code, so
the runs extracted before keep codes that still map back.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from plr_luigi.extraction.subject_sources import ORIGINAL_CODE_COLUMN, labelled_subject_rows
from plr_luigi.study.subject_codes import PUBLIC_CODE as PUBLIC_CODE_PATTERN

logger = logging.getLogger(__name__)

ORIGINAL_CODE = ORIGINAL_CODE_COLUMN
PUBLIC_CODE = "subject_code"
CLASS_LABEL = "class_label"
_PREFIX_LABEL = {"PLR1": 0, "PLR4": 1}
_PUBLIC_PREFIX = {0: "H", 1: "G"}
_LABEL_NAMES = {"0": 0, "control": 0, "1": 1, "glaucoma": 1}


class UnknownSubjectError(KeyError):
    """A run holds subject codes that the lookup does not map."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


def read_labelled_subjects(source_db: Path) -> pd.DataFrame:
    """Distinct labelled subjects of the source database: original_code, class_label (0/1)."""
    frame = pd.DataFrame(list(labelled_subject_rows(source_db)),
                         columns=[ORIGINAL_CODE, CLASS_LABEL])
    labels = frame[CLASS_LABEL].astype(str).str.strip().str.lower()
    unknown = sorted(set(labels) - set(_LABEL_NAMES))
    if unknown:
        raise ValueError(f"source database has unknown class labels: {unknown}")
    frame[CLASS_LABEL] = labels.map(_LABEL_NAMES).astype(int)
    if frame[ORIGINAL_CODE].duplicated().any():
        raise ValueError("source database gives some subject two different class labels")
    return frame


def subjects_from_codes(codes: Iterable[str]) -> pd.DataFrame:
    """Label codes found in the runs by their prefix; a code of no known prefix is an error."""
    codes = sorted(set(codes))
    labels = [_PREFIX_LABEL.get(code[:4]) for code in codes]
    n_unknown = sum(label is None for label in labels)
    if n_unknown:
        raise ValueError(f"{n_unknown} subject codes in the runs have no known class prefix "
                         f"({', '.join(_PREFIX_LABEL)}); configure the source database")
    return pd.DataFrame({ORIGINAL_CODE: codes, CLASS_LABEL: labels})


def build_lookup(subjects: pd.DataFrame) -> pd.DataFrame:
    """original_code, subject_code (public), class_label; ordered by (class_label, code)."""
    ordered = subjects.sort_values([CLASS_LABEL, ORIGINAL_CODE]).reset_index(drop=True)
    rank = ordered.groupby(CLASS_LABEL).cumcount() + 1
    width = max(3, len(str(int(rank.max())))) if len(rank) else 3
    ordered[PUBLIC_CODE] = [f"{_PUBLIC_PREFIX[label]}{n:0{width}d}"
                            for label, n in zip(ordered[CLASS_LABEL], rank, strict=True)]
    return ordered[[ORIGINAL_CODE, PUBLIC_CODE, CLASS_LABEL]]


def unmapped_subjects(lookup: pd.DataFrame, subjects: pd.DataFrame) -> pd.DataFrame:
    """The subjects (original_code, class_label) that the lookup does not map."""
    return subjects[~subjects[ORIGINAL_CODE].isin(lookup[ORIGINAL_CODE])]


def extend_lookup(lookup: pd.DataFrame, subjects: pd.DataFrame) -> pd.DataFrame:
    """The lookup with the subjects it lacks added: each existing row kept as it is (every run
    already extracted keeps its public codes), each new subject numbered after the highest
    code of its class, in the order of their original codes. A subject the lookup has under
    another class is an error: its public code names the class. The message never quotes an
    original code."""
    known = lookup.merge(subjects, on=ORIGINAL_CODE, suffixes=("", "_now"))
    relabelled = int((known[CLASS_LABEL].astype(int) != known[f"{CLASS_LABEL}_now"]).sum())
    if relabelled:
        raise ValueError(f"{relabelled} subjects of the subject lookup have another class now; "
                         "their public codes name the old one: re-code every subject with "
                         "`plr-luigi invalidate extraction.SubjectLookup --downstream`")
    new = unmapped_subjects(lookup, subjects).sort_values(ORIGINAL_CODE)
    rows = [lookup[[ORIGINAL_CODE, PUBLIC_CODE, CLASS_LABEL]].astype({CLASS_LABEL: int})]
    if len(new):
        numbers = lookup[PUBLIC_CODE].str[1:].astype(int)
        width = max([3, *lookup[PUBLIC_CODE].str.len() - 1])
        added = new.copy()
        labels = lookup[CLASS_LABEL].astype(int)
        after = {label: int(numbers[labels == label].max()) if (labels == label).any() else 0
                 for label in _PUBLIC_PREFIX}
        rank = added.groupby(CLASS_LABEL).cumcount() + 1
        added[PUBLIC_CODE] = [f"{_PUBLIC_PREFIX[label]}{after[label] + n:0{width}d}"
                              for label, n in zip(added[CLASS_LABEL], rank, strict=True)]
        rows.append(added[[ORIGINAL_CODE, PUBLIC_CODE, CLASS_LABEL]])
    extended = pd.concat(rows, ignore_index=True)
    order = [extended[CLASS_LABEL].astype(int), extended[PUBLIC_CODE].str[1:].astype(int)]
    return extended.iloc[np.lexsort(order[::-1])].reset_index(drop=True)


def anonymise(original_codes: np.ndarray, mapping: dict[str, str], run_name: str) -> np.ndarray:
    """Public codes for original ones. The error never quotes an original code: it may reach
    public logs and the extraction report."""
    codes = [str(code) for code in original_codes]
    n_missing = sum(code not in mapping for code in codes)
    if n_missing:
        raise UnknownSubjectError(f"run {run_name}: {n_missing} of {len(codes)} subject codes are "
                                  "not in the subject lookup")
    return np.array([mapping[code] for code in codes], dtype=object)


def is_public_code(code: str) -> bool:
    return bool(PUBLIC_CODE_PATTERN.match(code))


def read_lookup(path: Path) -> dict[str, str]:
    """The private lookup file (SubjectLookup's output) as original -> public code."""
    frame = pd.read_csv(path, dtype=str)
    return dict(zip(frame[ORIGINAL_CODE], frame[PUBLIC_CODE], strict=True))
