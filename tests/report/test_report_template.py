"""The report page's template ships inside the package: found from this editable install and
from a normal install's files (what a wheel holds), not only from a checkout."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from support.luigi_process import ROOT

from plr_luigi.report.report_page import report_templates


def test_the_editable_install_finds_the_template_in_the_package():
    template = Path(report_templates().get_template("report.html.j2").filename)
    assert template == ROOT / "plr_luigi" / "report" / "templates" / "report.html.j2"


def test_the_template_escapes_what_it_shows():
    assert report_templates().autoescape is True


@pytest.mark.slow
def test_a_normal_install_carries_the_template(tmp_path):
    source = tmp_path / "source"
    shutil.copytree(ROOT / "plr_luigi", source / "plr_luigi",
                    ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("setup.cfg", "pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    installed = tmp_path / "installed"
    # build_py lays out what a wheel installs: the packages and their package_data only.
    subprocess.run([sys.executable, "-c", "from setuptools import setup; setup()", "build_py",
                    "--build-lib", str(installed)], cwd=source, check=True, capture_output=True,
                   timeout=300)
    probe = ("from plr_luigi.report import report_page as page; print(page.__file__); "
             "print(page.report_templates().get_template('report.html.j2').filename)")
    done = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(installed)})
    assert done.returncode == 0, done.stderr[-2000:]
    module, template = done.stdout.split()
    assert Path(module).is_relative_to(installed), module  # not this checkout
    assert Path(template).is_relative_to(installed), template
