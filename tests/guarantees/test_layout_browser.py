"""The main pages at a desktop's width (1280 px) and a phone's (375 px), in Russian and Ukrainian
(long words): nothing is wider than the screen or spills out of its container, and the defects
found once (the facility's breadcrumb, «Сбросить» outside the filters, the users' table past its
box) stay fixed."""
from __future__ import annotations

import pytest

from incidents.admin import service as admin
from tests.factories import attach_file, make_facility, make_incident, publish
from tests.helpers import sign_in

pytestmark = pytest.mark.browser

WIDTHS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 375, "height": 800}}

# Every visible element of the page's main part whose box ends past its parent's (or past the screen),
# or whose text runs out of it, unless an ancestor scrolls it on purpose (overflow auto or hidden).
# Answers "tag.class: N px".
SPILLS = """() => {
  const width = document.documentElement.clientWidth;
  const spills = [];
  const clipped = (el) => {
    for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
      const o = getComputedStyle(a).overflowX;
      if (o === 'auto' || o === 'hidden' || o === 'scroll' || o === 'clip') return true;
    }
    return false;
  };
  for (const el of document.querySelectorAll('main *, header.site *')) {
    const box = el.getBoundingClientRect();
    if (!box.width || !box.height || getComputedStyle(el).position === 'absolute' || clipped(el)) continue;
    const parent = el.parentElement.getBoundingClientRect();
    const past = Math.max(box.right - Math.min(parent.right, width), Math.min(parent.left, 0) - box.left);
    // text (a hash, a long word) running out of its box, which no child element's box shows
    const within = getComputedStyle(el).overflowX === 'visible' && el.clientWidth ? el.scrollWidth - el.clientWidth : 0;
    if (Math.max(past, within) > 1) spills.push(`${el.tagName.toLowerCase()}.${el.className}: ${Math.round(Math.max(past, within))} px`);
  }
  return spills;
}"""


@pytest.fixture
def pages(app, users):
    """The main pages' addresses, with long Russian names in them, and the role that sees each."""
    contributor = users["contributor"]
    facility = make_facility(contributor, names={
        "ru": "Исправительная колония строгого режима № 96 Управления ФСИН по Саратовской области",
        "uk": "Виправна колонія суворого режиму № 96 Управління ФСВП у Саратовській області"})
    incident = make_incident(contributor, facility, title={"ru": "Избиение и пытки электрошокером в штрафном изоляторе"})
    attach_file(app, incident, contributor)
    publish(incident, contributor, users["reviewer"])
    users["lawyer"].name = "Константинопольская-Верхнеднепровская Анастасия Александровна"
    users["lawyer"].save()
    admin.change_role(users["admin"], users["researcher"], "lawyer")
    return {None: ["/incidents", f"/incidents/{incident.id}", f"/facilities/{facility.id}", "/facilities"],
            "admin": ["/incidents", f"/incidents/{incident.id}", f"/facilities/{facility.id}", "/facilities",
                      "/statistics", "/admin/users", "/admin/audit"]}


@pytest.mark.parametrize("lang", ["ru", "uk"])
@pytest.mark.parametrize("screen", list(WIDTHS))
def test_nothing_is_wider_than_the_screen_or_its_container(live_server, users, chromium, pages, screen, lang):
    """On a desktop and on a phone, does every main page (to the public, and to an administrator who
    sees more) fit the screen, with no element spilling past its container?"""
    viewport = WIDTHS[screen]
    for role, addresses in pages.items():
        page = chromium.new_page(viewport=viewport, locale=f"{lang}-{lang.upper()}")
        if role:
            sign_in(page, live_server, users[role])
        for address in addresses:
            page.goto(f"{live_server}{address}?lang={lang}")
            spills = page.evaluate(SPILLS)
            assert spills == [], f"{address}: {spills}"
            assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"], address
        page.close()


@pytest.mark.parametrize("screen", list(WIDTHS))
def test_the_defects_found_once_stay_fixed(live_server, users, chromium, pages, screen):
    """Does the facility's breadcrumb end in the facility, «Сбросить» stay inside the filter panel, and the
    users' table inside its box, on a desktop and on a phone?"""
    viewport = WIDTHS[screen]
    page = chromium.new_page(viewport=viewport, locale="ru-RU")
    facility_address = pages[None][2]
    page.goto(f"{live_server}{facility_address}?lang=ru")
    crumbs = page.inner_text(".crumbs")
    assert crumbs.rstrip().endswith("Саратовской области") and not crumbs.rstrip().endswith("›")
    page.goto(f"{live_server}/incidents?lang=ru")
    if not page.is_visible("form.filters"):
        page.click(".filter-panel > summary")
    panel = page.locator("form.filters").bounding_box()
    for control in ("form.filters .actions a", "form.filters .actions button"):
        box = page.locator(control).bounding_box()
        assert panel["x"] <= box["x"] and box["x"] + box["width"] <= panel["x"] + panel["width"], control
    assert page.inner_text("form.filters .actions a") == "Сбросить"
    sign_in(page, live_server, users["admin"])
    page.goto(f"{live_server}/admin/users?lang=ru")
    table, main = page.locator("table.users").bounding_box(), page.locator("main").bounding_box()
    assert table["x"] + table["width"] <= main["x"] + main["width"]
    assert page.evaluate("(() => { const t = document.querySelector('table.users');"
                         " return t.scrollWidth <= t.clientWidth; })()")
