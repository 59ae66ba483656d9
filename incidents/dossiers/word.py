"""A dossier as an editable DOCX: lawyers finish submissions by hand in a word processor.

Headings use Word's own heading styles, so the navigation pane and an inserted table of contents
work; page numbers are fields, which the word processor fills in.
"""
from __future__ import annotations

import io

from docx import Document as new_docx
from docx.enum.text import WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Pt, RGBColor
from docx.text.paragraph import Paragraph
from flask_babel import gettext as _

from .document import Document

MUTED, WARNING = RGBColor(90, 90, 90), RGBColor(150, 20, 20)


def _page_field(paragraph, instruction: str) -> None:
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), instruction)
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    field.append(run)
    paragraph._p.append(field)


def _footer(docx, label: str) -> None:
    """'Page {page} of {nb}' with both numbers as fields."""
    paragraph = docx.sections[0].footer.paragraphs[0]
    before, rest = label.split("{page}", 1)
    middle, after = rest.split("{nb}", 1)
    paragraph.add_run(before)
    _page_field(paragraph, "PAGE")
    paragraph.add_run(middle)
    _page_field(paragraph, "NUMPAGES")
    paragraph.add_run(after)


def _run(paragraph, text: str, *, size=None, bold=False, color=None, font=None) -> None:
    run = paragraph.add_run(text)
    run.bold = bold or None
    if size:
        run.font.size = Pt(size)
    if color is not None:
        run.font.color.rgb = color
    if font:
        run.font.name = font


def _paragraph(docx, text: str = "", style_id: str | None = None, **run):
    """A paragraph with one run. Styles are set by id: python-docx's lookup by name scans every
    style of the template each time, which made a dossier of 100 incidents take ten seconds."""
    paragraph = docx.add_paragraph()
    if style_id:
        paragraph._p.get_or_add_pPr().style = style_id
    if text:
        _run(paragraph, text, **run)
    return paragraph


def _table(docx, headers: tuple, rows: list[tuple], *, mono: bool = False) -> None:
    """A grid; cells are filled through the XML rows, as ``Table.cell`` rebuilds the whole grid."""
    lines = ([headers] if headers else []) + list(rows)
    table = docx.add_table(rows=len(lines), cols=len(lines[0]))
    table._tbl.tblPr.style = "TableGrid"
    for number, (tr, values) in enumerate(zip(table._tbl.tr_lst, lines)):
        for column, (tc, value) in enumerate(zip(tr.tc_lst, values)):
            bold = (number == 0 and bool(headers)) or (not headers and column == 0)
            code = mono and column > 0
            _run(Paragraph(tc.p_lst[0], table), str(value), bold=bold, size=8 if code else 9,
                 font="Courier New" if code else None)
    docx.add_paragraph()


def render(document: Document, language: str) -> bytes:
    """The DOCX's bytes; call inside ``force_locale`` of the dossier's language."""
    docx = new_docx()
    normal = docx.styles["Normal"]
    normal.font.name = "Times New Roman"
    normal.font.size = Pt(11)
    docx.core_properties.title = document.title
    docx.core_properties.language = language
    _footer(docx, _("Page %(page)s of %(pages)s", page="{page}", pages="{nb}"))
    _paragraph(docx, document.title, "Title")
    _table(docx, (), document.cover)
    if document.cover_warning:
        _paragraph(docx, document.cover_warning, bold=True, color=WARNING)
    entries = [b.text for b in document.blocks if b.kind == "heading" and b.level == 0]
    if entries:
        _paragraph(docx, _("Contents"), "Heading1")
        for entry in entries:
            _paragraph(docx, entry, "ListNumber")
    for block in document.blocks:
        if block.kind == "heading":
            if block.level == 0:  # each incident (or facility) starts on a page of its own
                docx.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
            _paragraph(docx, block.text, f"Heading{block.level + 1}")
        elif block.kind == "text":
            _paragraph(docx, block.text)
        elif block.kind == "note":
            _paragraph(docx, block.text, size=9, color=MUTED)
        elif block.kind == "warning":
            _paragraph(docx, block.text, bold=True, color=WARNING)
        elif block.kind in ("fields", "mono"):
            _table(docx, (), block.rows, mono=block.kind == "mono")
        elif block.kind == "table":
            _table(docx, block.headers, block.rows)
    buffer = io.BytesIO()
    docx.save(buffer)
    return buffer.getvalue()
