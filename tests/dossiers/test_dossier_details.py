"""Dossier details: evidence numbered the same way on the incident's page and in every dossier, and
sizes written one way, in the reader's language (issue 17, point 6)."""
from __future__ import annotations

import html
import io
import re

import docx
import pytest

from tests.dossiers.test_dossiers import build, normalised, pdf_text
from tests.factories import JPEG, attach_file, make_facility, make_incident, publish

# A picture of 11,234 bytes: "11.2 kB" in English, whichever way a size is written.
PICTURE = JPEG + b"\0" * (11_234 - len(JPEG))


@pytest.fixture
def numbered(app, users):
    """A published incident whose evidence was added in another order than its dates: the link
    the form listed first has no date, the first file none either, the second was captured in
    March 2020 and the third in 2019. So by date, then as listed: third, second, link, first."""
    facility = make_facility(users["contributor"])
    incident = make_incident(users["contributor"], facility, evidence=[
        {"kind": "220904051501", "url": "https://example.org/video", "description": "EvidenceLinkUndated"}])
    attach_file(app, incident, users["contributor"], PICTURE, "first.jpg", description="EvidenceFirstUndated")
    attach_file(app, incident, users["contributor"], JPEG + b"second", "second.jpg",
                description="EvidenceSecondMarch", captured_on="2020-03-15")
    attach_file(app, incident, users["contributor"], JPEG + b"third", "third.jpg",
                description="EvidenceThird2019", captured_on="2019")
    publish(incident, users["contributor"], users["reviewer"])
    return incident


def docx_text(data: bytes) -> str:
    """A DOCX's words in reading order: paragraphs and tables as they follow each other."""
    words = []
    for block in docx.Document(io.BytesIO(data)).iter_inner_content():
        if isinstance(block, docx.table.Table):
            words += [cell.text for row in block.rows for cell in row.cells]
        else:
            words.append(block.text)
    return "\n".join(words)


EXPECTED = ["EvidenceThird2019", "EvidenceSecondMarch", "EvidenceLinkUndated", "EvidenceFirstUndated"]


def page_numbers(page: str) -> list[str]:
    """The descriptions of the incident page's evidence, by the number the page gives each."""
    items = re.findall(r'<li[^>]*id="evidence-(\d+)"[^>]*>(.*?)</li>', page, re.S)
    assert [int(number) for number, _body in items] == list(range(1, len(items) + 1))
    found = []
    for number, body in items:
        assert f"Item {number}" in body
        found.append(next(word for word in EXPECTED if word in body))
    return found


def document_numbers(text: str) -> list[str]:
    """The descriptions of a dossier's evidence, in the order of the numbers its headings give."""
    text = normalised(text)
    heads = list(re.finditer(r"Item (\d+)(?::|, a link:)", text))
    numbers = [int(head.group(1)) for head in heads]
    assert numbers == list(range(1, len(numbers) + 1)), numbers
    found = []
    for index, head in enumerate(heads):
        section = text[head.end():heads[index + 1].start() if index + 1 < len(heads) else len(text)]
        found.append(next(word for word in EXPECTED if word in section))
    return found


def test_evidence_is_numbered_by_date_then_as_listed_on_the_page_and_in_every_format(client, as_role, users,
                                                                                     numbered):
    """Does a lawyer find evidence item 2 on the incident's page, in the PDF and in the DOCX to be the same
    item, numbered in order by its date of capture and then as listed, not by database id?"""
    page = as_role("lawyer").get(f"/incidents/{numbered.id}").get_data(as_text=True)
    assert page_numbers(page) == EXPECTED
    public_page = client.get(f"/incidents/{numbered.id}").get_data(as_text=True)
    assert page_numbers(public_page) == EXPECTED
    for redaction in ("public", "confidential"):
        for layout in ("dossier", "un_srt"):
            pdf = build(client, users["lawyer"], incident_ids=[numbered.id], redaction=redaction, layout=layout,
                        format="pdf", lang="en").data
            docx = build(client, users["lawyer"], incident_ids=[numbered.id], redaction=redaction, layout=layout,
                         format="docx", lang="en").data
            assert document_numbers(pdf_text(pdf)) == EXPECTED, (redaction, layout)
            assert document_numbers(docx_text(docx)) == EXPECTED, (redaction, layout)


def test_a_confidential_item_leaves_no_gap_in_the_public_numbers(app, client, as_role, users, numbered):
    """Can a reader of a public dossier count confidential evidence from a gap in the numbers?

    Public numbers count what the public sees; the staff page and the confidential dossier count all."""
    attach_file(app, numbered, users["contributor"], JPEG + b"secret", "secret.jpg",
                description="EvidenceSecret", captured_on="2018", confidential=True)
    public_pdf = build(client, users["lawyer"], incident_ids=[numbered.id], format="pdf", lang="en").data
    assert document_numbers(pdf_text(public_pdf)) == EXPECTED
    assert "EvidenceSecret" not in pdf_text(public_pdf)
    staff_page = as_role("lawyer").get(f"/incidents/{numbered.id}").get_data(as_text=True)
    assert '<li class="confidential" id="evidence-1">' in staff_page and "EvidenceSecret" in staff_page


@pytest.mark.parametrize("language, size", [("en", "11.2 kB"), ("ru", "11,2 КБ"), ("uk", "11,2 КБ")])
def test_a_size_is_written_the_same_on_the_page_and_in_the_dossiers(client, as_role, users, numbered,
                                                                    language, size):
    """Does the page say 11.2 kB while the PDF says 11.0 KB, or the Russian page use English units?

    One helper writes every size: decimal units, translated, the same on the page, in the PDF and
    in the DOCX."""
    page = html.unescape(as_role("lawyer").get(f"/incidents/{numbered.id}?lang={language}").get_data(as_text=True))
    assert size in page
    for file_format, text_of in (("pdf", pdf_text), ("docx", docx_text)):
        data = build(client, users["lawyer"], incident_ids=[numbered.id], format=file_format, lang=language).data
        text = normalised(text_of(data))
        assert size in text, (file_format, language)
        assert not re.search(r"\d (?:KB|MB|GB)\b", text)
    if language != "en":
        assert not re.search(r"\d (?:kB|KB|MB|GB)\b", page)


@pytest.mark.parametrize("language, kind", [("en", "image (JPEG)"), ("ru", "изображение (JPEG)"),
                                            ("uk", "зображення (JPEG)")])
def test_a_files_media_type_is_named_as_its_reader_names_it_in_the_dossiers(client, users, numbered,
                                                                            language, kind):
    """Does a Russian dossier say "image/jpeg" where the page says «изображение (JPEG)»?"""
    for file_format, text_of in (("pdf", pdf_text), ("docx", docx_text)):
        text = normalised(text_of(build(client, users["lawyer"], incident_ids=[numbered.id], format=file_format,
                                        lang=language).data))
        assert kind in text and "image/jpeg" not in text, (file_format, language)


def test_sizes_take_the_units_of_the_readers_language(app):
    """Are bytes, kilobytes and megabytes written with the units and the decimal sign of the reader?"""
    from flask_babel import force_locale

    from incidents.i18n import format_size
    with app.test_request_context():
        with force_locale("ru"):
            assert format_size(314_600_000) == "314,6 МБ"
            assert format_size(512) == "512 Б"
        with force_locale("en"):
            assert [format_size(n) for n in (0, 999, 11_234, 2_500_000_000)] == ["0 B", "999 B", "11.2 kB", "2.5 GB"]
            # Rounded, the next unit: never "1,000 kB".
            assert [format_size(n) for n in (999_960, 999_949_999, 950_000)] == ["1 MB", "1 GB", "950 kB"]
