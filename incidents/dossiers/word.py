"""A dossier as an editable DOCX: lawyers finish submissions by hand in a word processor.

Headings use Word's own heading styles, so the navigation pane and an inserted table of contents
work; page numbers are fields, which the word processor fills in. Paragraphs are written as XML
with named styles (``_add_styles``) rather than formatted run by run, for speed.
"""
from __future__ import annotations

import io
import struct

from docx import Document as new_docx
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor
from flask_babel import gettext as _
from lxml import etree

from incidents.dossiers.document import Document

MUTED, WARNING = RGBColor(90, 90, 90), RGBColor(150, 20, 20)
XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"


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


def _add_styles(docx) -> None:
    """The dossier's own paragraph styles: formatting each run instead took most of the time."""
    normal = docx.styles["Normal"]
    normal.font.name = "Times New Roman"
    normal.font.size = Pt(11)
    for name, size, bold, color, font in (("Cell", 9, False, None, None), ("CellLabel", 9, True, None, None),
                                          ("CellCode", 8, False, None, "Courier New"),
                                          ("Note", 9, False, MUTED, None), ("Warning", 11, True, WARNING, None)):
        style = docx.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        style.base_style = normal
        style.font.size, style.font.bold = Pt(size), bold
        if color is not None:
            style.font.color.rgb = color
        if font:
            style.font.name = font
        if name.startswith("Cell"):
            style.paragraph_format.space_after = Pt(0)


def _fill(p, style_id: str | None, text: str) -> None:
    """Give an empty ``w:p`` its style and text, writing the XML directly: python-docx's
    element-by-element API (style lookups by name, ordered child insertion, run formatting) took
    ten seconds for a dossier of 100 incidents."""
    if style_id:
        ppr = etree.SubElement(p, qn("w:pPr"))
        etree.SubElement(ppr, qn("w:pStyle")).set(qn("w:val"), style_id)
    if not text:
        return
    run = etree.SubElement(p, qn("w:r"))
    for number, line in enumerate(text.split("\n")):
        if number:
            etree.SubElement(run, qn("w:br"))
        node = etree.SubElement(run, qn("w:t"))
        node.text = line
        node.set(XML_SPACE, "preserve")


def _paragraph(docx, text: str = "", style_id: str | None = None) -> None:
    _fill(docx.add_paragraph()._p, style_id, text)


def _table(docx, headers: tuple, rows: list[tuple], *, mono: bool = False) -> None:
    lines = ([headers] if headers else []) + list(rows)
    table = docx.add_table(rows=len(lines), cols=len(lines[0]))
    table._tbl.tblPr.style = "TableGrid"
    for number, (tr, values) in enumerate(zip(table._tbl.tr_lst, lines, strict=True)):
        for column, (tc, value) in enumerate(zip(tr.tc_lst, values, strict=True)):
            label = (number == 0 and bool(headers)) or (not headers and column == 0)
            _fill(tc.p_lst[0], "CellLabel" if label else "CellCode" if mono else "Cell", str(value))
    docx.add_paragraph()


def render(document: Document, language: str) -> bytes:
    """The DOCX's bytes; call inside ``force_locale`` of the dossier's language."""
    docx = new_docx()
    _add_styles(docx)
    docx.core_properties.title = document.title
    docx.core_properties.language = language
    _footer(docx, _("Page %(page)s of %(pages)s", page="{page}", pages="{nb}"))
    if document.logo:  # a PNG the app encoded itself from checked pixels (admin/organisation.py)
        width, height = struct.unpack(">II", document.logo[16:24])  # the PNG's header
        # 25 mm high, unless that would make a wide logo wider than 80 mm
        size = {"width": Mm(80)} if width * 25 > height * 80 else {"height": Mm(25)}
        docx.add_picture(io.BytesIO(document.logo), **size)
    _paragraph(docx, document.title, "Title")
    _table(docx, (), document.cover)
    for warning in [document.cover_warning, *document.notices]:
        if warning:
            _paragraph(docx, warning, "Warning")
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
            _paragraph(docx, block.text, "Note")
        elif block.kind == "warning":
            _paragraph(docx, block.text, "Warning")
        elif block.kind in ("fields", "mono"):
            _table(docx, (), block.rows, mono=block.kind == "mono")
        elif block.kind == "table":
            _table(docx, block.headers, block.rows)
    buffer = io.BytesIO()
    docx.save(buffer)
    return buffer.getvalue()
