"""Packaging: pyproject.toml and environment.yml pin the same versions; the lock agrees."""

from __future__ import annotations

import re
import tomllib

import yaml
from conftest import ROOT


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _pyproject_pins() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pins = {}
    for spec in project["dependencies"] + project["optional-dependencies"]["dev"]:
        name, version = spec.split("==")
        pins[_norm(name)] = version
    return pins


#: conda-forge names that differ from PyPI's.
CONDA_TO_PYPI = {"python-duckdb": "duckdb"}


def _conda_pins() -> dict[str, str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pins = {}
    for dep in env["dependencies"]:
        if isinstance(dep, str) and "=" in dep:
            name, version = dep.split("=", 1)
            if name != "python":
                pins[_norm(CONDA_TO_PYPI.get(name, name))] = version
    return pins


def test_every_dependency_is_pinned_exactly() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    for spec in project["dependencies"] + project["optional-dependencies"]["dev"]:
        assert re.fullmatch(r"[A-Za-z0-9_.\-]+==[0-9][0-9A-Za-z.]*", spec), spec


def test_environment_yml_agrees_with_pyproject() -> None:
    assert _conda_pins() == _pyproject_pins()


def test_lock_contains_every_direct_pin() -> None:
    lock = {}
    for line in (ROOT / "requirements" / "lock.txt").read_text().splitlines():
        if "==" in line and not line.startswith("#"):
            name, version = line.split("==")
            lock[_norm(name)] = version.strip()
    for name, version in _pyproject_pins().items():
        assert lock.get(name) == version, f"{name}: pyproject {version}, lock {lock.get(name)}"


def test_no_copyleft_or_commercial_dependency() -> None:
    lock = (ROOT / "requirements" / "lock.txt").read_text().lower()
    for banned in ("pm4py", "retentioneering"):
        assert banned not in lock
