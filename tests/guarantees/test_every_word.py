"""Every page the app answers, in Russian and in Ukrainian, as the public and as each role that sees
more: no English interface word shows through.

The pages are found in ``app.url_map`` (every GET route; ids filled from records made here), so a
page added later is checked without anyone remembering to list it. Everything this test writes
(names, titles, descriptions) is in Cyrillic, so a Latin word on a page is the interface's, except
for the few named in ``ALLOWED`` and what is shown as code (``<code>``: hashes, MIME types, stable
codes kept beside their words)."""
from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from incidents.accounts import credentials
from incidents.admin import service as admin
from tests.factories import JPEG, MP4, attach_file, edit, make_facility, make_incident, move, publish
from tests.helpers import Browser, run_command

# Latin words a Russian or Ukrainian page rightly shows, each for a reason:
ALLOWED = {
    # the language switcher names each language in itself ("English", as "Русский" on an English page)
    "English",
    # names of formats, standards and protocols, written so in every language
    "API", "CSV", "HXL", "JSON", "PDF", "DOCX", "ZIP", "JPEG", "PNG", "SVG", "MOV", "SHA", "HURIDOCS", "ESF",
    "OpenAPI", "TOTP", "UTF", "CP", "EXIF", "XMP", "GPS", "ISO", "RFC", "PEM", "URL", "ID", "JavaScript",
    "http", "https",  # "a link (http or https)": the protocols' names
    "x", "y",  # a box's corner, in pixels: coordinates are named so in every language
    # proper names
    "Berkeley",  # the Berkeley Protocol on digital open-source investigations
    "Saratov",  # the form's example of one name in two scripts: "Саратов / Saratov"
    "Natural", "Earth",  # Natural Earth, the map data's source, named as its makers name it
}
# A torture method is named in the HURIDOCS list by its Russian or Ukrainian name and, in brackets after
# it, the name it is known by worldwide: «Фаланга» (falanga), «Субмарино» (submarino seco).
KNOWN_AS = re.compile(r"(?<=») \([^()«»]*(?:«[^»]*»)?\)")
# Words the test itself wrote, besides the users' names and addresses.
OUR_WORDS = ["Nobody is shown."]
# Pages that are not pages (files, pictures, JSON for scripts): every other GET route must answer
# HTML to someone below, or this test fails, so a new page cannot slip past it.
NOT_PAGES = {"static", "evidence.download", "evidence.media", "evidence.preview", "evidence.public_copy",
             "evidence.redaction_frame", "dossiers.prepared_file", "public.statistics_csv", "public.statistics_download",
             "admin.organisation_logo", "records.regions",
             "drafts.new_incident", "drafts.edit_incident", "auth.login_code", "auth.two_factor_page"}
ROLES = (None, "researcher", "contributor", "lawyer", "reviewer", "admin")
SKIPPED_TAGS = {"script", "style", "code", "kbd", "samp"}
SHOWN_ATTRIBUTES = ("placeholder", "title", "aria-label", "alt")
TOKEN = re.compile(r"[^\s,;:()«»\"“”„!?…·—–×→|]+")
URL_OR_ADDRESS = re.compile(r"\S+@\S+|https?://\S+|/[\w./?=&%-]+")


class VisibleText(HTMLParser):
    """The text a reader sees or hears: contents outside code and scripts, and the attributes read out."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts, self.skipping = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in SKIPPED_TAGS:
            self.skipping += 1
        values = dict(attrs)
        self.parts += [values[name] for name in SHOWN_ATTRIBUTES if values.get(name)]
        if tag == "input" and values.get("type") in ("submit", "button") and values.get("value"):
            self.parts.append(values["value"])

    def handle_endtag(self, tag):
        if tag in SKIPPED_TAGS and self.skipping:
            self.skipping -= 1

    def handle_data(self, data):
        if not self.skipping:
            self.parts.append(data)


def english_words(html: str, ours: list[str]) -> list[str]:
    reader = VisibleText()
    reader.feed(html)
    text = " ".join(reader.parts)
    for value in ours + OUR_WORDS:
        text = text.replace(value, " ")
    text = KNOWN_AS.sub(" ", URL_OR_ADDRESS.sub(" ", text))
    # "{time}" is a blank a script fills in, not a word
    words = (token.strip(".'’*") for token in TOKEN.findall(text) if not token.startswith("{"))
    # A word of Latin letters, with no digit (hashes, "MP4", "SHA-256") and no Cyrillic letter.
    return [word for word in words if re.search("[A-Za-z]", word) and not re.search(r"[\dА-яЁёІіЇїЄєҐґ]", word)
            and word not in ALLOWED]


@pytest.fixture
def world(app, users, tmp_path):
    """A facility, a published incident with a picture and a video, one in review with a history and a
    conversation, an ingested archive, an account changed by the administrator: every page has
    something to show, and the audit trail and chains of custody hold every kind of event."""
    contributor, reviewer = users["contributor"], users["reviewer"]
    facility = make_facility(contributor, names={"ru": "Туберкулёзная больница № 1", "uk": "Туберкульозна лікарня № 1"},
                             aliases=["ОТБ-1"], authority="ФСИН России")
    cyrillic = {"title": {"ru": "Пытки в больнице"}, "narrative": {"ru": "Заключённого привязали к кровати."},
                "persons": [{"role": "victim", "pseudonym": "Заключённый С.", "legal_name": "Иванов Иван",
                             "contact": "+7 900 000-00-00", "citizenship": "RU", "sex": "male", "age": 35,
                             "consent": "anonymised"}],
                "evidence": [{"kind": "220904051501", "url": "https://example.org/video",
                              "description": "Часть архива"}],
                "responses": [{"kind": "criminal_case", "date": "2021-03", "body": "Следственный комитет",
                               "description": "Возбуждено дело"}]}
    published = make_incident(contributor, facility, **cyrillic)
    picture = attach_file(app, published, contributor, JPEG, "снимок.jpg", description="Снимок камеры")
    video = attach_file(app, published, contributor, MP4, "запись.mp4", description="Запись камеры")
    publish(published, contributor, reviewer)
    pending = make_incident(contributor, facility, **cyrillic)
    edit(pending.id, contributor, "title", "uk", "Катування в лікарні")
    move(pending, contributor, "submit")
    admin.change_role(users["admin"], users["researcher"], "researcher")
    folder = tmp_path / "архив"
    folder.mkdir()
    (folder / "камера.jpg").write_bytes(JPEG)
    run_command(app, "ingest", str(folder), "--user", reviewer.email)
    run_command(app, "evidence", "verify")  # a "verified" custody event and its outcome on each item
    from incidents.models import IngestBatch
    return {"incident_id": [published.id, pending.id], "item_id": [picture.id, video.id], "facility_id": [facility.id],
            "batch_id": [IngestBatch.select().first().id], "index": [0]}


def _addresses(app, world, browsers, someone):
    """Each GET route's addresses, its ids filled from ``world``; the pages that need a state of their
    own (a secret, a prepared bundle, a review action) are reached the way a user reaches them."""
    lawyer = browsers["lawyer"]
    lawyer.post("/dossier/add", {"incident_id": str(world["incident_id"][0])})
    built = lawyer.post("/dossier/build", {"lang": "ru", "redaction": "confidential", "layout": "dossier",
                                           "format": "zip", "include_files": "1"})
    special = {"token": [built.headers["Location"].rsplit("/", 1)[1]],
               "secret": [credentials.issue_password_link(someone, 30)]}
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.rule.startswith("/api/") or rule.endpoint in NOT_PAGES:
            continue
        choices = [{}]
        for name in rule.arguments:
            choices = [dict(c, **{name: value}) for c in choices for value in (world | special)[name]]
        for values in choices:
            address = rule.build(values, append_unknown=False)[1]
            if rule.endpoint == "review.confirm":
                yield rule.endpoint, address + "?action=" + ("retract" if values["incident_id"] == world[
                    "incident_id"][0] else "approve")
            else:
                yield rule.endpoint, address


@pytest.mark.parametrize("lang", ["ru", "uk"])
def test_no_english_interface_word_on_any_page(app, users, world, lang):
    """In Russian and in Ukrainian, do all the pages (to the public and to each role) show no English
    word of the interface: actions, details, object names, custody, media types, languages, regions?"""
    browsers = {role: Browser(app) for role in ROLES}
    for role, browser in browsers.items():
        if role:
            browser.login(users[role])
    ours = sorted({v for user in users.values() for v in (user.email, user.name)}, key=len, reverse=True)
    found, answered = {}, set()
    for endpoint, address in sorted(set(_addresses(app, world, browsers, users["researcher"]))):
        for role, browser in browsers.items():
            response = browser.get(address + ("&" if "?" in address else "?") + "lang=" + lang)
            if response.status_code != 200 or not response.mimetype == "text/html":
                continue
            answered.add(endpoint)
            words = english_words(response.get_data(as_text=True), ours)
            if words:
                found[f"{address} ({role or 'anonymous'})"] = sorted(set(words))
    assert not found, "\n".join(f"{page}: {words}" for page, words in found.items())
    routes = {r.endpoint for r in app.url_map.iter_rules() if "GET" in r.methods and not r.rule.startswith("/api/")}
    assert routes - NOT_PAGES - answered == set()


def test_the_check_finds_english_and_spares_code_and_user_data():
    """Does the check see an English label, and leave alone what is shown as code, an address and the
    words the test itself wrote?"""
    html = ('<p title="Filters">Статус: <code>in_review</code> — test@example.org, Test reviewer, '
            'SHA-256, https://example.org/a</p><input type="submit" value="Применить">')
    assert english_words(html, ["Test reviewer"]) == ["Filters"]
    assert english_words("<td>Действие: user.change_role; evidenceitem 39</td>", []) == ["user.change_role",
                                                                                        "evidenceitem"]
