"""Every task family is named by its stage (Luigi's task namespace: `figures.ForestPlot`), so
that luigid's visualiser groups the families by stage instead of listing them all under
"Others"; the root keeps its bare name (`luigi --module plr_luigi ReproduceAll`) and the
settings classes keep their luigi.cfg sections."""

from __future__ import annotations

import configparser
from pathlib import Path

import luigi
import pytest
from luigi.cmdline_parser import CmdlineParser
from luigi.task_register import Register, TaskClassNotFoundException
from support.stages import ROOT_TASK, STAGES

import plr_luigi  # noqa: F401 -- registers the tasks, as `luigi --module plr_luigi` does
from plr_luigi.tasks.merge import MergeToDuckDB
from plr_luigi.tasks.reproduce import ReproduceAll
from plr_luigi.tasks.settings import SectionSettings

LUIGI_CFG = Path(__file__).resolve().parents[2] / "luigi.cfg"


def registered_classes() -> dict[str, type]:
    """Task family -> class of everything importing plr_luigi registers with Luigi."""
    classes = {family: Register.get_task_cls(family) for family in Register.task_names()}
    return {family: cls for family, cls in classes.items()
            if cls.__module__.startswith("plr_luigi.")}


def schedulable_tasks() -> dict[str, type]:
    """The task classes a build schedules: those with work of their own (the base classes
    RunOnceTask, DatabaseOutput, InterpretationOutput... define no run()) and the root."""
    return {family: cls for family, cls in registered_classes().items()
            if not issubclass(cls, luigi.Config)
            and (cls.run is not luigi.Task.run or issubclass(cls, luigi.WrapperTask))}


def test_every_task_but_the_root_is_named_by_its_stage():
    tasks = schedulable_tasks()
    assert len(tasks) > 30  # every task module was imported
    assert tasks.pop(ROOT_TASK) is ReproduceAll
    unstaged = sorted(f for f, cls in tasks.items() if cls.get_task_namespace() not in STAGES)
    assert unstaged == [], "tasks without a stage namespace (task_namespace = ...)"
    assert all(family == f"{cls.get_task_namespace()}.{cls.__name__}"
               for family, cls in tasks.items())
    assert {cls.get_task_namespace() for cls in tasks.values()} == STAGES  # none left empty


@pytest.mark.parametrize(("family", "stage"), [
    ("extraction.ExtractRun", "extraction"), ("database.MergeToDuckDB", "database"),
    ("database.MergeInterpretation", "database"), ("interpretation.ShapForConfig",
                                                   "interpretation"),
    ("figures.ShapImportance", "figures"), ("figures.ForestPlot", "figures"),
    ("tables.FactorTable", "tables"), ("numbers.NumbersTex", "numbers"),
    ("report.PrivacyAudit", "report"), ("report.AllRunsExtracted", "report")])
def test_a_task_of_each_stage(family, stage):
    assert Register.get_task_cls(family).get_task_namespace() == stage


def test_the_command_line_names_the_root_bare_and_other_tasks_with_their_stage():
    """Luigi's own command-line parsing, as `luigi --module plr_luigi TASK` does it."""
    with CmdlineParser.global_instance(["--module", "plr_luigi", ROOT_TASK]) as parser:
        assert type(parser.get_task_obj()) is ReproduceAll
    with CmdlineParser.global_instance(["--module", "plr_luigi", "database.MergeToDuckDB"]) \
            as parser:
        task = parser.get_task_obj()
    assert type(task) is MergeToDuckDB and task.task_id.startswith("database.MergeToDuckDB_")
    with pytest.raises(TaskClassNotFoundException):
        Register.get_task_cls("MergeToDuckDB")  # Luigi itself knows only the full name


def test_settings_keep_their_luigi_cfg_sections():
    """Luigi reads a Config class's options from the section named by its task family: a
    namespace on it would move [extraction] to [something.extraction]."""
    sections = configparser.ConfigParser()
    sections.read(LUIGI_CFG, encoding="utf-8")
    settings = {family for family, cls in registered_classes().items()
                if issubclass(cls, luigi.Config) and cls is not SectionSettings}
    assert settings == {"plr", "heartbeat", "limits", "store_retry", "extraction"}
    assert settings <= set(sections.sections())
