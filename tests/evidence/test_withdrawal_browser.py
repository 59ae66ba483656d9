"""Withdrawing a file attached by mistake, in a real browser, in Ukrainian (issue 14, point 5)."""
from __future__ import annotations

import pytest

from incidents.models import CustodyEvent, EvidenceItem
from tests.factories import JPEG, attach_file
from tests.helpers import sign_in, translated

pytestmark = pytest.mark.browser


def test_a_contributor_withdraws_a_wrong_file_in_ukrainian(app, users, incident, live_server, chromium):
    """In Ukrainian, does the author reach the withdrawal from the file's page, find the safe way out
    first and a reason asked for, and after withdrawing see the incident without the file, while
    its chain of custody keeps who withdrew it and why, with no script error?"""
    wrong = attach_file(app, incident, users["contributor"], JPEG + b"wrong", "wrong.jpg")
    errors: list = []
    page = chromium.new_page(locale="uk-UA")
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    sign_in(page, live_server, users["contributor"])
    page.goto(f"{live_server}/evidence/{wrong.id}?lang=uk")
    page.click(f"a[href='/evidence/{wrong.id}/withdraw']")
    page.wait_for_load_state()
    buttons = page.locator(".buttons > *")
    assert buttons.first.inner_text() == translated(app, "Cancel: keep it attached", "uk")
    page.click("button.danger")  # no reason yet: the browser asks for one, nothing is sent
    assert EvidenceItem.get_by_id(wrong.id).incident_id == incident.id
    page.fill("#reason", "Не той файл: відео з іншої справи")
    page.click("button.danger")
    page.wait_for_load_state()
    assert f"/incidents/{incident.id}" in page.url
    assert translated(app, "The item was withdrawn from the incident. Its original stays preserved, and its "
                           "chain of custody records why.", "uk") in page.inner_text("main")
    assert "wrong.jpg" not in page.content()
    event = CustodyEvent.get((CustodyEvent.item == wrong.id) & (CustodyEvent.action == "withdrawn"))
    assert event.detail["reason"] == "Не той файл: відео з іншої справи"
    assert errors == []
