"""Imports run downward only, floor by floor, as docs/architecture.md draws them (a bigger number is lower)."""
from __future__ import annotations

import ast
import os
import re

import pytest

from tests.helpers import ROOT

FLOORS = {
    "incidents": 1, "incidents.web": 1.5,
    "incidents.api": 2, "incidents.cli": 2, "incidents.demo": 2.5, "incidents.backup": 2.5,
    "incidents.records": 3, "incidents.review": 3, "incidents.exports": 3, "incidents.dossiers": 3,
    "incidents.public": 3, "incidents.duplicates": 3.5, "incidents.uploads": 3.8,
    "incidents.search": 4, "incidents.evidence": 4, "incidents.auth": 4, "incidents.admin": 4,
    "incidents.workflow": 4, "incidents.comments": 4.8, "incidents.notifications": 4.9,
    "incidents.comments.routes": 3, "incidents.notifications.routes": 3,
    "incidents.accounts": 5, "incidents.revisions": 5, "incidents.views": 5, "incidents.i18n": 5,
    "incidents.charts": 5.2,
    "incidents.validation": 5.5, "incidents.publication": 5.5, "incidents.timestamps": 5.8,
    "incidents.policy": 6, "incidents.audit": 6, "incidents.vocab": 6, "incidents.geo": 6,
    "incidents.verification_status": 6.5, "incidents.custody": 6.5, "incidents.redactions": 6.5, "incidents.shape": 6.8, "incidents.jobs": 6.9,
    "incidents.models": 7,
    "incidents.db": 8,
    "incidents.media": 8.5,
    "incidents.config": 9, "incidents.memory": 9, "incidents.errors": 9, "incidents.text": 9, "incidents.keys": 9,
    "incidents.dossiers.verify_timestamp": 9.5,
}


def floor_of(module: str) -> tuple[str, float]:
    """(the area a module belongs to, its floor): the longest listed prefix wins."""
    parts = module.split(".")
    for length in range(len(parts), 0, -1):
        name = ".".join(parts[:length])
        if name in FLOORS:
            return name, FLOORS[name]
    raise AssertionError(f"{module} is on no floor: add it to FLOORS")


def modules():
    for folder, _dirs, files in os.walk(os.path.join(ROOT, "incidents")):
        for file in files:
            # Migrations are frozen: they stand outside the floors (a checkout's own path may
            # contain the word, so only the folder inside the repository counts).
            if file.endswith(".py") and os.path.relpath(folder, ROOT).split(os.sep)[:2] != ["incidents", "migrations"]:
                path = os.path.join(folder, file)
                name = os.path.relpath(path, ROOT)[:-3].replace(os.sep, ".").removesuffix(".__init__")
                yield name, path


def imports(name: str, path: str):
    package = name if path.endswith("__init__.py") else name.rsplit(".", 1)[0]
    with open(path, encoding="utf-8") as handle:
        tree = ast.parse(handle.read())
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            base = package.split(".")[: len(package.split(".")) - (node.level - 1)] if node.level else []
            target = ".".join(base + ([node.module] if node.module else []))
            for alias in node.names:
                full = f"{target}.{alias.name}" if target else alias.name
                yield full if full.startswith("incidents") else target
        elif isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name


@pytest.mark.parametrize("name, path", sorted(modules()))
def test_imports_run_downward(name, path):
    """Does any module import from a floor above its own?"""
    area, floor = floor_of(name)
    for target in imports(name, path):
        if not target.startswith("incidents"):
            continue
        try:
            target_area, target_floor = floor_of(target)
        except AssertionError:
            target_area, target_floor = floor_of(target.rsplit(".", 1)[0])
        if target_area == area:
            continue  # inside one area (a package and its modules) anything goes
        assert target_floor > floor, f"{name} (floor {floor}) imports {target} (floor {target_floor})"


def test_every_test_the_threat_model_cites_exists():
    """Does every test that SECURITY.md cites for a mitigation still exist?

    SECURITY.md points each mitigation at the test that holds it: a renamed or removed test
    must not leave the threat model claiming a guarantee nothing checks."""
    with open(os.path.join(ROOT, "SECURITY.md"), encoding="utf-8") as handle:
        cited = set(re.findall(r"((?:\w+/)*test_\w+\.py)::(test_\w+)", handle.read()))
    assert len(cited) > 100
    missing = []
    for file, name in sorted(cited):  # a path under tests/, as the tests mirror the packages
        path = os.path.join(ROOT, "tests", file)
        if not os.path.isfile(path):
            missing.append(f"{file}::{name}")
            continue
        with open(path, encoding="utf-8") as handle:
            if not re.search(rf"^def {name}\(", handle.read(), re.MULTILINE):
                missing.append(f"{file}::{name}")
    assert not missing, missing


# The verifiers as they ship inside each bundle, named by their file names alone.
STANDALONE = {"verify_bundle.py", "verify_timestamp.py"}


def test_every_module_the_threat_model_cites_exists():
    """Does every module the threat model names as holding a mitigation still exist where it says?

    A module moved or renamed must not leave SECURITY.md pointing a reader at nothing."""
    with open(os.path.join(ROOT, "SECURITY.md"), encoding="utf-8") as handle:
        rows = [line for line in handle if re.match(r"^\| [A-Z]+\d+ \|", line)]
    assert len(rows) > 50
    missing = set()
    for row in rows:
        code = row.strip().strip("|").split("|")[-2]  # the column naming the code that holds it
        for path in re.findall(r"`([\w/]+\.py)`", code):
            if path not in STANDALONE and not any(os.path.isfile(os.path.join(ROOT, *base, path))
                                                  for base in ((), ("incidents",))):
                missing.add(path)
    assert not missing, sorted(missing)


# Folders the application makes at run time (the instance folder, and inside it the evidence
# store's), not files of the repository: a fresh clone has none of them.
MADE_AT_RUN_TIME = {"instance/", "previews/", "originals/", "spool/", "prepared/"}  # all but the first: in the evidence store


def test_every_file_the_documentation_names_exists():
    """Does every module and folder that the README and docs/ name still exist?

    A name is read from the top of the repository, from ``incidents/`` (as the architecture
    names modules) or from ``tests/``."""
    names = set()
    for document in ["README.md"] + [os.path.join("docs", name) for name in os.listdir(os.path.join(ROOT, "docs"))]:
        with open(os.path.join(ROOT, document), encoding="utf-8") as handle:
            names |= set(re.findall(r"`([\w./-]+\.py|[\w-]+(?:/[\w-]+)*/)`", handle.read()))
    assert len(names) > 50
    missing = [name for name in sorted(names - STANDALONE - MADE_AT_RUN_TIME)
               if not any(os.path.exists(os.path.join(ROOT, base, name)) for base in ("", "incidents", "tests"))]
    assert not missing, missing


def test_the_architecture_document_draws_the_floors_the_code_keeps():
    """Does docs/architecture.md put every package and root module on the floor this test holds it to,
    and leave none out?"""
    with open(os.path.join(ROOT, "docs", "architecture.md"), encoding="utf-8") as handle:
        rows = re.findall(r"^\| ([\d.]+) \| [^|]+ \| (.+) \|$", handle.read(), re.MULTILINE)
    drawn = {}
    for floor, where in rows:
        for name in re.findall(r"`([\w/]+?)(?:/|\.py)?`", where):
            if name not in ("incidents/__init__", "app", "create_app", "app.py", "flask", "migrations"):
                drawn["incidents." + name.replace("/", ".")] = float(floor)
    drawn["incidents"] = float(rows[0][0])  # the factory: the package itself
    assert drawn == {name: float(floor) for name, floor in FLOORS.items()}


def _module_graph() -> dict[str, set[str]]:
    """Each module of the application and the modules it imports (a name imported from a package
    counts as that package's module when it is one, else as the package itself)."""
    names = dict(modules())
    graph = {}
    for name, path in names.items():
        targets = set()
        for target in imports(name, path):
            while target and target not in names:
                target = target.rpartition(".")[0]
            if target and target != name:
                targets.add(target)
        graph[name] = targets
    return graph


def test_no_import_circle_between_modules():
    """Do any of the application's modules import each other in a circle?

    Floors allow anything inside one package; a circle there still makes a module that cannot
    be read, tested or imported on its own (as the sign-in pages once were)."""
    graph = _module_graph()
    visiting, done, circles = [], set(), []

    def visit(name):
        if name in done:
            return
        if name in visiting:
            circles.append(visiting[visiting.index(name):] + [name])
            return
        visiting.append(name)
        for target in sorted(graph[name]):
            visit(target)
        visiting.pop()
        done.add(name)

    for name in sorted(graph):
        visit(name)
    assert not circles, [" -> ".join(circle) for circle in circles]
