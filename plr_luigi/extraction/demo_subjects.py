"""Demo subjects and their pupil traces, read from the PRIVATE subject source database.

The source database holds original subject codes (PLRxxxx). They are used here only to select
rows and are replaced by the public codes of the private lookup before anything is returned:
every frame this module hands out carries public codes (H001, G001) alone.

The demo subjects are chosen per class by outlier share (the fraction of a subject's samples
flagged in `outlier_mask`), as the study's 12 (configs/VISUALIZATION/demo_subjects.yaml: per
class 2 with a high, 2 with an average and 2 with a low share): the `highest`, the `average`
nearest the class's median share and the `lowest` of each class (configs/figures.yaml,
`demo_subjects`), so the figure shows clean, typical and artefact-laden recordings of both
classes. The study picked its subjects by hand; here the rule picks them.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from plr_luigi.extraction.subject_sources import connect_source_db, find_subject_table
from plr_luigi.extraction.subjects import (
    CLASS_LABEL,
    ORIGINAL_CODE,
    PUBLIC_CODE,
    is_public_code,
)

logger = logging.getLogger(__name__)

OUTLIER_SHARE = "outlier_share"
SELECTION = "selection"
TRACE_COLUMNS = ("time", "pupil_orig", "pupil_gt", "outlier_mask")
LIGHT_COLUMNS = ("time", "Red", "Blue")
DECIMALS = 4  # the JSON holds what is plotted; four decimals are far below what a plot shows


def read_outlier_shares(source_db: Path, lookup: pd.DataFrame) -> pd.DataFrame:
    """Per labelled subject of the lookup: public code, class label, outlier share."""
    with connect_source_db(source_db) as con:
        table = find_subject_table(con)
        rows = con.execute(f'SELECT subject_code, avg(outlier_mask) FROM "{table}" '
                           "GROUP BY subject_code").fetchall()
    shares = pd.DataFrame(rows, columns=[ORIGINAL_CODE, OUTLIER_SHARE])
    merged = lookup.merge(shares, on=ORIGINAL_CODE, how="inner")
    return merged[[PUBLIC_CODE, CLASS_LABEL, OUTLIER_SHARE]].reset_index(drop=True)


def choose_demo_subjects(shares: pd.DataFrame, lowest: int, average: int,
                         highest: int) -> pd.DataFrame:
    """Per class (controls first): the `highest` outlier shares, the `average` nearest the
    class's median share among the others, and the `lowest`, in that order; ties broken by
    public code. A class with too few subjects is an error, not a shorter figure."""
    chosen = []
    for label, group in shares.groupby(CLASS_LABEL, sort=True):
        ordered = group.sort_values([OUTLIER_SHARE, PUBLIC_CODE])
        if len(ordered) < lowest + average + highest:
            raise ValueError(f"class {label}: {len(ordered)} subjects, "
                             f"{lowest + average + highest} needed")
        low, high = ordered.head(lowest), ordered.tail(highest).iloc[::-1]
        rest = ordered.iloc[lowest:len(ordered) - highest]
        distance = (rest[OUTLIER_SHARE] - group[OUTLIER_SHARE].median()).abs()
        middle = (rest.assign(_distance=distance).sort_values(["_distance", PUBLIC_CODE])
                  .head(average).drop(columns="_distance")
                  .sort_values([OUTLIER_SHARE, PUBLIC_CODE], ascending=False))
        chosen += [high.assign(**{SELECTION: "high"}), middle.assign(**{SELECTION: "average"}),
                   low.iloc[::-1].assign(**{SELECTION: "low"})]
    return pd.concat(chosen, ignore_index=True)


def read_traces(source_db: Path, lookup: pd.DataFrame,
                public_codes: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(traces, light): traces of the given subjects (subject_code = public code, time,
    pupil_orig, pupil_gt, outlier_mask) and the light protocol (time, Red, Blue) of the first."""
    to_original = dict(zip(lookup[PUBLIC_CODE], lookup[ORIGINAL_CODE], strict=True))
    to_public = {v: k for k, v in to_original.items()}
    originals = [to_original[c] for c in public_codes]
    columns = ", ".join(("subject_code", *TRACE_COLUMNS, *LIGHT_COLUMNS[1:]))
    with connect_source_db(source_db) as con:
        table = find_subject_table(con)
        marks = ", ".join("?" * len(originals))
        frame = pd.read_sql_query(f'SELECT {columns} FROM "{table}" WHERE subject_code IN '
                                  f"({marks}) ORDER BY subject_code, time", con,
                                  params=originals)
    frame["subject_code"] = frame["subject_code"].map(to_public)
    if not frame["subject_code"].map(is_public_code).all():
        raise ValueError("a trace row lost its public code")  # never let an original through
    frame = frame.round(DECIMALS)
    light = frame[frame["subject_code"] == public_codes[0]][list(LIGHT_COLUMNS)]
    traces = frame[["subject_code", *TRACE_COLUMNS]]
    return traces.reset_index(drop=True), light.reset_index(drop=True)


def load_demo_subjects(source_db: Path, lookup: pd.DataFrame, lowest: int, average: int,
                       highest: int) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(subjects, traces, light) of the demo subjects, public codes only."""
    subjects = choose_demo_subjects(read_outlier_shares(source_db, lookup), lowest, average,
                                    highest)
    traces, light = read_traces(source_db, lookup, subjects[PUBLIC_CODE].tolist())
    logger.info("demo subjects: %s", ", ".join(subjects[PUBLIC_CODE]))
    return subjects, traces, light
