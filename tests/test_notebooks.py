"""Notebook hygiene: thin, output-free, one literal parameters cell, no logic."""

from __future__ import annotations

import ast

import nbformat
import pytest
from conftest import ROOT

from playbook.report.batch import MONTHLY_NOTEBOOK, MONTHLY_PARAMETERS
from playbook.report.kernel import NOTEBOOK_PARAMETERS
from playbook.workspace.trust import available_steps

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
FORBIDDEN = ("def ", "class ", "open(", "os.chdir", "sys.path", "import os", "/work/", "C:\\")


def test_there_are_step_notebooks() -> None:
    assert "00_data_intake" in available_steps()


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_hygiene(path) -> None:
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    assert nb.cells[0].cell_type == "markdown", "start with what question the notebook answers"
    params = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1, "exactly one cell tagged 'parameters'"
    tree = ast.parse(params[0].source)
    names = []
    for node in tree.body:
        assert isinstance(node, ast.Assign), "parameters cell holds assignments only"
        assert isinstance(node.value, ast.Constant), "parameters are literals (papermill trap)"
        names.extend(t.id for t in node.targets)
    if path.stem[:2].isdigit():
        assert tuple(names) == NOTEBOOK_PARAMETERS
    if path.stem == MONTHLY_NOTEBOOK:
        assert tuple(names) == MONTHLY_PARAMETERS
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        assert not cell.get("outputs"), "commit notebooks without outputs"
        assert cell.get("execution_count") is None
        if "parameters" in cell.metadata.get("tags", []):
            continue
        for word in FORBIDDEN:
            assert word not in cell.source, f"{word!r} in a code cell: logic belongs in playbook"
        assert len(ast.parse(cell.source).body) <= 4, "code cells stay one call each"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_narrative_exists_in_both_languages(path) -> None:
    nb = nbformat.read(path, as_version=4)
    tags = [t for c in nb.cells if c.cell_type == "markdown" for t in c.metadata.get("tags", [])]
    assert tags.count("lang-en") == tags.count("lang-zh") > 0
