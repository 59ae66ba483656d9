"""Issue 17, point 5, in the demo: who acted, what came of it and what a piece of evidence is are written
in the incident's original language, with the versions in the other languages beside them, so a reader
of the demo is never told that an English text is "the original, in Russian"."""
from __future__ import annotations

from incidents.models import EvidenceItem, Incident, PublishedIncident, Response
from tests.helpers import translated
from tests.records.test_texts_per_language import visible

LANGUAGES = {"en", "ru", "uk"}
# Letters one of the two has and the other has not: a short text may have none, but a Russian text with
# "і" or a Ukrainian one with "ы" is in the wrong language.
NOT_IN = {"ru": set("іїєґІЇЄҐ"), "uk": set("ыэъёЫЭЪЁ")}


def fits(text: str, language: str) -> bool:
    """Whether a demo text can be in ``language``: English has no Cyrillic letters, Russian and Ukrainian
    have them and none of the other's."""
    cyrillic = any("\u0400" <= ch <= "\u04ff" for ch in text)
    return not cyrillic if language == "en" else cyrillic and not set(text) & NOT_IN[language]


def rows_with_texts():
    """Every response and evidence entry of the demo, with its originals and their translations, by field."""
    for row in Response.select():
        yield row, {"body": (row.body, row.body_translations),
                    "description": (row.description, row.description_translations)}
    for item in EvidenceItem.select():
        yield item, {"description": (item.description, item.description_translations)}


def test_every_demo_text_is_in_its_incidents_language_with_the_others_beside_it(app):
    """Is each response's body and description and each evidence description of the demo written in its
    incident's original language, and translated into each of the other two?"""
    assert app.test_cli_runner().invoke(args=["demo"]).exit_code == 0
    checked = set()
    for row, texts in rows_with_texts():
        original = Incident.get_by_id(row.incident_id).original_language
        for field, (text, translations) in texts.items():
            versions = dict(translations or {}, **{original: text})
            assert set(versions) == LANGUAGES and text not in translations.values(), (field, versions)
            assert all(fits(version, lang) for lang, version in versions.items()), versions
            assert versions["ru"] != versions["uk"], versions
        checked.add(original)
    assert checked == LANGUAGES  # the demo holds rows of each original language


def test_the_english_page_of_the_saratov_case_reads_the_responses_in_english(app, client):
    """Does an English reader of the Saratov case see who acted and the evidence in English, said to be
    translated from Russian, and never "not translated" for them; and a Russian reader the originals?"""
    assert app.test_cli_runner().invoke(args=["demo"]).exit_code == 0
    saratov = PublishedIncident.get(PublishedIncident.region == "RU-SAR")
    english = visible(client.get(f"/incidents/{saratov.incident_id}?lang=en"))
    assert "Investigative Committee of the Russian Federation (translated from Russian)" in english
    assert ("the Kremlin's spokesman said that there would be a thorough investigation if the material proved"
            " authentic. (translated from Russian)") in english
    assert "Video recording, part of the leaked archive" in english
    assert "not translated" not in english
    russian = visible(client.get(f"/incidents/{saratov.incident_id}?lang=ru"))
    assert "Следственный комитет Российской Федерации" in russian and "Investigative" not in russian
    assert translated(app, "translated from Russian", "ru") not in russian
