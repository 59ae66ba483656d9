"""The documents in docs/ agree with the code: the API reference with the OpenAPI document, the
access table with the roles and the URL map. A new endpoint, role or parameter fails here until
it is written down; one written down but gone fails too."""
from __future__ import annotations

import os
import re

import pytest

from incidents.models import ROLES
from tests.helpers import ROOT

DOCS = os.path.join(ROOT, "docs")
METHODS = ("get", "head", "options", "post", "put", "patch", "delete")
# An operation heading of docs/api.md: "### GET /api/v1/incidents/{incident_id}".
OPERATION = re.compile(r"^### (GET|HEAD|OPTIONS|POST|PUT|PATCH|DELETE) (/\S+)$", re.M)
# The description does not describe itself; the reference does.
UNDESCRIBED = {("GET", "/api/v1/openapi.json")}


def _read(name: str) -> str:
    with open(os.path.join(DOCS, name), encoding="utf-8") as handle:
        return handle.read()


def _sections(text: str) -> dict[tuple[str, str], str]:
    """Each operation heading of docs/api.md -> the text under it, up to the next heading."""
    headings = list(OPERATION.finditer(text))
    assert headings, "docs/api.md has no operation headings"
    sections = {}
    for heading in headings:
        end = re.compile(r"^#{1,3} ", re.M).search(text, heading.end())
        key = (heading.group(1), heading.group(2))
        assert key not in sections, f"docs/api.md describes {key} twice"
        sections[key] = text[heading.end():end.start() if end else len(text)]
    return sections


def _documented_query(section: str) -> set[str]:
    """The names in a section's "Query parameters:" paragraph (absent: none)."""
    found = re.search(r"^Query parameters: (.+?)(?:\n\n|\Z)", section, re.M | re.S)
    return set(re.findall(r"`([^`]+)`", found.group(1))) if found else set()


@pytest.fixture
def described(client):
    """(method, path) -> query parameter names, as the served OpenAPI document has them."""
    document = client.get("/api/v1/openapi.json").get_json()
    operations = {}
    for path, item in document["paths"].items():
        shared = item.get("parameters", [])
        for method in METHODS:
            if method in item:
                parameters = shared + item[method].get("parameters", [])
                operations[(method.upper(), path)] = {p["name"] for p in parameters if p["in"] == "query"}
    assert len(operations) >= 14
    return operations


def test_every_api_operation_has_a_heading_and_every_heading_an_operation(described):
    """Does the API reference document every operation of the OpenAPI document, and only those?"""
    documented = set(_sections(_read("api.md")))
    missing = set(described) - documented
    extra = documented - set(described) - UNDESCRIBED
    assert not missing, f"in the OpenAPI document but not in docs/api.md: {sorted(missing)}"
    assert not extra, f"in docs/api.md but not in the OpenAPI document: {sorted(extra)}"


def test_the_query_parameters_documented_are_those_described(described):
    """Does the API reference list exactly the query parameters the OpenAPI document gives each operation?"""
    sections = _sections(_read("api.md"))
    for operation, names in described.items():
        assert _documented_query(sections[operation]) == names, operation


def test_the_undescribed_operations_exist(app):
    """Do the operations the API reference documents beyond the OpenAPI document exist?

    What docs/api.md documents beyond the OpenAPI document is in the URL map."""
    routes = {(method, rule.rule) for rule in app.url_map.iter_rules() for method in rule.methods}
    assert UNDESCRIBED <= routes


def _table(text: str, first_header: str) -> tuple[list[str], list[list[str]]]:
    """The Markdown table whose first header cell is ``first_header``: (headers, rows of cells)."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"| {first_header} |"))
    rows = []
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    return [cell.strip() for cell in lines[start].strip().strip("|").split("|")], rows


def test_the_access_table_has_a_column_for_the_public_and_every_role():
    """Does the access table have a column for the visitor and for every role, and describe every role?"""
    headers, rows = _table(_read("access.md"), "action")
    assert headers[1] == "visitor" and sorted(headers[2:]) == sorted(ROLES), headers
    assert all(len(row) == len(headers) for row in rows)
    _headers, described = _table(_read("access.md"), "role")
    assert sorted(row[0].strip("`") for row in described) == sorted(ROLES)


# A variable part of a route, as the documents write it: ID, SECRET, {incident_id} or <name>.
PLACEHOLDER = r"(?:[A-Z][A-Z_]*|\{[a-z_]+\}|<[^>]+>)"


def _route_patterns(rule) -> list[re.Pattern]:
    """The paths a rule serves, as patterns; ``<any(pdf, docx):x>`` is one path per choice."""
    choices = re.search(r"<any\(([^)]*)\):\w+>", rule.rule)
    variants = ([rule.rule.replace(choices.group(0), c.strip()) for c in choices.group(1).split(",")]
                if choices else [rule.rule])
    return [re.compile("".join(PLACEHOLDER if part.startswith("<") else re.escape(part)
                               for part in re.split(r"(<[^>]+>)", variant)))
            for variant in variants]


def _paths(text: str) -> set[str]:
    """Every path written in backticks (query strings dropped), and every operation heading's."""
    found = {m.split("?")[0] for m in re.findall(r"`(/[^`\s]*)`", text)}
    return found | {path for _method, path in OPERATION.findall(text)}


def test_every_route_is_documented_and_every_documented_page_exists(app):
    """Is every route written down in the documentation, and does every page the access table names exist?

    Each route of the URL map is in docs/access.md (pages) or docs/api.md (the API); each page
    docs/access.md names is a route."""
    pages, api = _paths(_read("access.md")), _paths(_read("api.md"))
    rules = [rule for rule in app.url_map.iter_rules() if rule.endpoint != "static"]
    for rule in rules:
        written = api if rule.rule.startswith("/api/") else pages
        for pattern in _route_patterns(rule):
            assert any(pattern.fullmatch(path) for path in written), f"{rule.rule} is not in docs/"
    patterns = [pattern for rule in rules for pattern in _route_patterns(rule)]
    for path in pages:
        assert any(pattern.fullmatch(path) for pattern in patterns), f"docs/access.md names {path}, no route"


def test_the_pages_open_to_anyone_are_the_public_endpoints(app):
    """Are the pages the access table opens to anyone exactly the ones the access policy makes public?

    A page docs/access.md says "anyone" may open is public in the policy, and no other is."""
    from incidents import policy
    _headers, rows = _table(_read("access.md"), "page")
    for row in rows:
        for path in re.findall(r"`(/[^`\s]*)`", row[0]):
            rules = [rule for rule in app.url_map.iter_rules()
                     if any(pattern.fullmatch(path) for pattern in _route_patterns(rule))]
            public = {rule.endpoint in policy.PUBLIC_ENDPOINTS for rule in rules}
            assert public == {row[1].startswith("anyone")}, (path, row[1])
