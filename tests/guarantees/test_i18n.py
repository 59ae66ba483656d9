"""English, Russian and Ukrainian: complete catalogs, the reader's language, dates in their locale."""
from __future__ import annotations

import datetime
import glob
import json
import os
import re
import subprocess
import sys

import pytest
from babel.messages.pofile import read_po

from incidents import i18n, vocab
from tests.factories import make_facility, make_incident, publish
from tests.helpers import ROOT

CATALOGS = sorted(glob.glob(os.path.join(ROOT, "translations", "*", "LC_MESSAGES", "messages.po")))


def _messages(path):
    with open(path, "rb") as handle:
        return [m for m in read_po(handle) if m.id]


def test_every_language_has_a_catalog():
    """Is there a translation catalog for exactly English, Russian and Ukrainian?"""
    assert {p.split(os.sep)[-3] for p in CATALOGS} == {"en", "ru", "uk"}


@pytest.mark.parametrize("path", CATALOGS, ids=lambda p: p.split(os.sep)[-3])
def test_catalog_is_complete_and_nothing_is_fuzzy(path):
    """Is every message translated in each catalog, with no fuzzy translation left?"""
    missing = [m.id for m in _messages(path)
               if not (all(m.string) if isinstance(m.string, tuple) else m.string)]
    fuzzy = [m.id for m in _messages(path) if m.fuzzy]
    assert missing == [] and fuzzy == []


@pytest.mark.parametrize("path", CATALOGS, ids=lambda p: p.split(os.sep)[-3])
def test_catalog_matches_the_template(path):
    """Does each catalog translate exactly the strings of the message template?

    Every catalog translates exactly the strings of messages.pot (run `make update-translations`)."""
    template = {m.id for m in _messages(os.path.join(ROOT, "translations", "messages.pot"))}
    assert {m.id for m in _messages(path)} == template


def test_reextracting_strings_changes_nothing(tmp_path):
    """Is the committed message template up to date with the strings in the code and templates?

    messages.pot is up to date with the code and templates (run `make extract` after changing strings)."""
    output = tmp_path / "messages.pot"
    subprocess.run([os.path.join(os.path.dirname(sys.executable), "pybabel"), "extract", "-F", "babel.cfg",
                    "-k", "_l", "-k", "lazy_gettext", "--no-location", "--sort-output", "--omit-header",
                    "-o", str(output), "."], cwd=ROOT, check=True, capture_output=True)
    with open(os.path.join(ROOT, "translations", "messages.pot"), encoding="utf-8") as handle:
        committed = handle.read()
    assert output.read_text(encoding="utf-8") == committed


@pytest.mark.parametrize("name", vocab.VOCABULARIES)
def test_every_vocabulary_term_is_labelled_in_every_language(name):
    """Does every vocabulary term have a label in English, Russian and Ukrainian?"""
    for term in vocab.all_terms(name):
        assert all(term.labels.get(lang, "").strip() for lang in ("en", "ru", "uk")), term.code


@pytest.mark.parametrize("header, expected", [
    ("ru-RU,ru;q=0.9,en;q=0.5", "ru"), ("uk,en;q=0.8", "uk"), ("de-DE,de", "en"), ("", "en")])
def test_language_from_the_browser(client, header, expected):
    """Is a visitor served in the language their browser asks for, and in English when it asks for one the
    site does not have?"""
    html = client.get("/", headers={"Accept-Language": header}).get_data(as_text=True)
    assert f'<html lang="{expected}">' in html


def test_query_switcher_and_user_setting(client, browser, users):
    """Can a reader switch the language through the address or the switcher, and does a signed-in user's
    choice stay with their account?"""
    assert '<html lang="uk">' in client.get("/?lang=uk", headers={"Accept-Language": "ru"}).get_data(as_text=True)
    browser.post("/language", data={"lang": "uk", "next": "/incidents"})
    assert '<html lang="uk">' in browser.get("/").get_data(as_text=True)
    browser.login(users["researcher"])
    browser.post("/language", data={"lang": "ru", "next": "/"})
    users["researcher"] = type(users["researcher"]).get_by_id(users["researcher"].id)
    assert users["researcher"].locale == "ru"
    assert '<html lang="ru">' in browser.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)


def test_language_switch_refuses_strangers(browser):
    """Does the language switch refuse an unknown language, a request without a CSRF token, and a redirect
    to another site?"""
    assert browser.post("/language", data={"lang": "xx"}).status_code == 400
    assert browser.client.post("/language", data={"lang": "ru"}).status_code == 400  # no CSRF token
    response = browser.post("/language", data={"lang": "ru", "next": "https://evil.example/"})
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize("lang, day, month, year, circa", [
    ("en", "March 15, 2020", "March 2020", "2020", "c. 2020"),
    ("ru", "15 марта 2020 г.", "март 2020 г.", "2020", "около 2020"),
    ("uk", "15 березня 2020 р.", "березень 2020 р.", "2020", "близько 2020"),
])
def test_incident_dates_in_the_readers_locale(app, lang, day, month, year, circa):
    """Are incident dates (a day, a month, a year, an approximate date, a span of years) written as a
    reader of each language expects?"""
    start = datetime.date(2020, 3, 15)

    def shown(*args) -> str:
        # CLDR puts narrow no-break spaces before "г." and "р."; a reader sees a space.
        return str(i18n.format_incident_date(*args)).replace("\u202f", " ").replace("\xa0", " ")

    with app.test_request_context(f"/?lang={lang}"):
        assert shown(start, start, "day") == day
        assert shown(datetime.date(2020, 3, 1), datetime.date(2020, 3, 31), "month").lower() == month.lower()
        assert shown(datetime.date(2020, 1, 1), datetime.date(2020, 12, 31), "year") == year
        assert shown(datetime.date(2020, 1, 1), datetime.date(2020, 12, 31), "circa") == circa
        assert shown(datetime.date(2020, 1, 1), datetime.date(2022, 12, 31), "year") == "2020 – 2022"


@pytest.mark.parametrize("lang", ["en", "ru", "uk"])
def test_dates_and_counts_are_written_as_babel_writes_them(app, lang):
    """The list pages format dates and counts without Babel's per-call look-ups: is every day of
    four years, every month, and counts from 0 to millions, negative ones too, still the same text?"""
    from babel.dates import format_skeleton
    from flask_babel import format_date, format_number, get_locale
    days = [datetime.date(2019, 1, 1) + datetime.timedelta(days=n) for n in range(4 * 366)]
    counts = [0, 1, 7, 999, 1000, 1234, 12345, 999999, 1000000, 123456789, -5, -1234, 10**12]
    with app.test_request_context(f"/?lang={lang}"):
        template = app.jinja_env.from_string("{{ n|numberformat }}")
        for day in days:
            assert i18n.format_incident_date(day, day, "day") == format_date(day, "long")
            assert i18n.format_known_date(day.isoformat()[:7]) == format_skeleton("yMMMM", day, locale=get_locale())
        for number in counts + [2.5, 1234.75]:
            assert template.render(n=number) == format_number(number)


@pytest.mark.parametrize("lang, found", [("en", "811,754 incidents found"), ("ru", "Найдено 811\xa0754 инцидента"),
                                         ("uk", "Знайдено 811\xa0754 інциденти")])
def test_counts_in_sentences_are_written_as_the_reader_writes_numbers(app, lang, found):
    """A count in a sentence ("811 754 incidents found" above a search) is grouped as numbers are in
    the reader's language, its plural form still chosen by the number; what is put in is escaped."""
    with app.test_request_context(f"/?lang={lang}"):
        page = app.jinja_env.from_string('{{ ngettext("%(num)s incident found", "%(num)s incidents found", n) }}')
        assert page.render(n=811754) == found
        named = app.jinja_env.from_string('{{ ngettext("%(num)s incident is waiting for review.", '
                                          '"%(num)s incidents are waiting for review.", 1, num=text) }}')
        assert "&lt;b&gt;" in named.render(text="<b>")


@pytest.mark.parametrize("lang", ["en", "ru", "uk"])
def test_pages_are_translated(client, users, lang):
    """Are the public pages and the sign-in page fully translated into each language, with no English left
    in the Russian or Ukrainian ones?"""
    facility = make_facility(users["contributor"])
    publish(make_incident(users["contributor"], facility), users["contributor"], users["reviewer"])
    pages = [client.get(f"{path}?lang={lang}").get_data(as_text=True)
             for path in ("/", "/incidents", f"/facilities/{facility.id}", "/incidents/1", "/login")]
    english_only = ["Published incidents", "Sign in", "What happened", "Apply filters"]
    for phrase in english_only:
        assert any(phrase in page for page in pages) == (lang == "en"), (lang, phrase)
    assert all(f'<html lang="{lang}">' in page for page in pages)


def test_regions_are_named_in_the_readers_language(client, users):
    """Are regions named in the reader's language?"""
    facility = make_facility(users["contributor"])
    publish(make_incident(users["contributor"], facility), users["contributor"], users["reviewer"])
    expected = {"en": "Saratov Oblast", "ru": "Саратовская область", "uk": "Саратовська область"}
    for lang, name in expected.items():
        assert name in client.get(f"/facilities/{facility.id}?lang={lang}").get_data(as_text=True)


def test_region_name_file_covers_the_countries_it_names():
    """Does the region name file give an English, a Russian and a Ukrainian name for every region of Russia,
    Ukraine, Belarus and Kazakhstan, each in its own script?"""
    with open(os.path.join(ROOT, "incidents", "vocabularies", "regions.json"), encoding="utf-8") as handle:
        names = json.load(handle)
    import pycountry
    for code in ("RU", "UA", "BY", "KZ"):
        for region in pycountry.subdivisions.get(country_code=code):
            given = names[region.code]
            assert given["en"] and not re.search("[А-яЁёІіЇїЄє]", given["en"]), region.code
            for lang in ("ru", "uk"):
                assert given[lang] and not re.search("[A-Za-z]", given[lang]), (region.code, lang)
    assert names["RU-SAR"]["uk"] == "Саратовська область" and names["UA-63"]["ru"] == "Харьковская область"
