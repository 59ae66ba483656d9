"""No harmful defaults: what a witness did not say starts as unknown, never as a claim."""
from __future__ import annotations

import re

import pytest

from incidents import shape
from tests.helpers import selected


def test_a_new_persons_sex_starts_unknown_and_comes_first(as_role):
    """On a new incident form, does a person's sex start at "unknown", the first choice?"""
    html = as_role("contributor").get("/incidents/new").get_data(as_text=True)
    assert selected(html, "persons-0-sex") == ["unknown"]
    options = re.search(r'name="persons-0-sex"[^>]*>(.*?)</select>', html, re.S).group(1)
    assert re.findall(r'value="([^"]*)"', options)[0] == "unknown"


def test_a_new_persons_consent_starts_at_none(as_role):
    """On a new incident form, does a person's consent to publication start at none given?"""
    html = as_role("contributor").get("/incidents/new").get_data(as_text=True)
    assert selected(html, "persons-0-consent") == ["none"]


@pytest.mark.parametrize("field", [field for row in shape.ROW_SHAPES.values() for field in row
                                   if field.kind == shape.CHOICE and field.default is not None])
def test_every_declared_choice_of_a_row_starts_at_its_declared_default(as_role, field):
    """Does each choice of a new form's rows start at the default its declaration gives, not at
    whatever happens to be listed first?"""
    html = as_role("contributor").get("/incidents/new").get_data(as_text=True)
    row = next(name for name, fields in shape.ROW_SHAPES.items() if field in fields)
    assert selected(html, f"{row}-0-{field.name}") == [field.default]
