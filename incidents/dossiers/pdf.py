"""A dossier as a PDF that can be filed: cover, contents, page numbers, the project's own font.

The font (DejaVu Sans, in ``fonts/``) ships with the project and is embedded in every PDF, so
Cyrillic renders the same on any machine and in any viewer; nothing is taken from the system.

Lines are broken here rather than by fpdf2's ``multi_cell`` and tables: those re-measure the line
so far for every character added, which made a dossier of 100 incidents take 15 seconds. Here each
distinct word is measured once, and every line is written with a single ``text``.
"""
from __future__ import annotations

import io
import math
import os
import secrets

from flask_babel import gettext as _
from fpdf import FPDF
from fpdf.enums import XPos, YPos

from incidents.dossiers.document import Document

FONT_DIR = os.path.join(os.path.dirname(__file__), "fonts")
FONT = "DejaVu"
# Contents entries per page: one line each, so the pages to reserve are known in advance.
TOC_PER_PAGE = 34
MUTED, WARNING, RULE = (90, 90, 90), (150, 20, 20), (170, 170, 170)
PAD = 1.2  # mm inside a table cell
LOGO_HEIGHT = 25  # mm: the organisation's logo at the top of the cover, above the title


class _Pdf(FPDF):
    def __init__(self, page_label: str):
        super().__init__(format="A4")
        self.page_label = page_label  # "Page {page} of <alias>", in the dossier's language
        self.add_font(FONT, "", os.path.join(FONT_DIR, "DejaVuSans.ttf"))
        self.add_font(FONT, "B", os.path.join(FONT_DIR, "DejaVuSans-Bold.ttf"))
        self.set_margins(20, 18, 20)
        self.set_auto_page_break(True, margin=20)
        self._widths: dict[tuple[str, str, float], float] = {}

    def footer(self):
        self.set_xy(self.l_margin, -14)
        self.set_font(FONT, size=8)
        self.set_text_color(*MUTED)
        self.cell(0, 6, self.page_label.replace("{page}", str(self.page_no())), align="C")
        self.set_text_color(0)

    def word_width(self, word: str) -> float:
        key = (word, self.font_style, self.font_size_pt)
        if key not in self._widths:
            self._widths[key] = self.get_string_width(word)
        return self._widths[key]

    def wrap(self, text: str, width: float) -> list[str]:
        """``text`` in lines no wider than ``width`` in the current font; words longer than a line
        (hashes, links) are cut between characters."""
        lines: list[str] = []
        space = self.word_width(" ")
        for paragraph in text.split("\n"):
            line: list[str] = []
            used = 0.0
            for word in paragraph.split(" "):
                size = self.word_width(word)
                if size > width:
                    if line:
                        lines.append(" ".join(line))
                    pieces = self._cut(word, width)
                    lines.extend(pieces[:-1])
                    line, used = [pieces[-1]], self.word_width(pieces[-1])
                elif line and used + space + size > width:
                    lines.append(" ".join(line))
                    line, used = [word], size
                else:
                    used += size + (space if line else 0)
                    line.append(word)
            lines.append(" ".join(line))
        return lines

    def _cut(self, word: str, width: float) -> list[str]:
        pieces, piece, used = [], "", 0.0
        for char in word:
            size = self.word_width(char)
            if piece and used + size > width:
                pieces.append(piece)
                piece, used = "", 0.0
            piece += char
            used += size
        return pieces + [piece]

    def line_break_if_needed(self, height: float) -> None:
        if self.will_page_break(height):
            self.add_page()

    def text_line(self, x: float, y: float, height: float, text: str) -> None:
        """One line of text in a box ``height`` high at (x, y), vertically centred: ``text`` is
        several times faster than ``cell``, which lays out a box, borders and links per line."""
        if text:
            self.text(x, y + (height + 0.7 * self.font_size) / 2, text)


def _paragraph(pdf: _Pdf, text: str, size: float = 10, style: str = "", color=(0, 0, 0), gap: float = 2) -> None:
    pdf.set_font(FONT, style, size)
    pdf.set_text_color(*color)
    height = size * 0.5
    for line in pdf.wrap(text, pdf.epw):
        pdf.line_break_if_needed(height)
        pdf.text_line(pdf.l_margin, pdf.get_y(), height, line)
        pdf.set_y(pdf.get_y() + height)
    pdf.set_text_color(0)
    pdf.ln(gap)


def _grid(pdf: _Pdf, rows: list[tuple], widths: tuple, size: float, *, headers: tuple = (),
          label_column: bool = False) -> None:
    """A table: cells wrap in their column, rows continue across pages line by line."""
    total = sum(widths)
    columns = [pdf.epw * w / total for w in widths]
    height = size * 0.48
    for index, row in enumerate(([headers] if headers else []) + list(rows)):
        bold = [(index == 0 and bool(headers)) or (label_column and column == 0) for column in range(len(row))]
        cells = []
        for column, (value, width) in enumerate(zip(row, columns, strict=True)):
            pdf.set_font(FONT, "B" if bold[column] else "", size)
            cells.append(pdf.wrap(str(value), width - 2 * PAD))
        pdf.line_break_if_needed(height + PAD)
        pdf.ln(PAD)
        for number in range(max(len(lines) for lines in cells)):
            pdf.line_break_if_needed(height)
            y, x = pdf.get_y(), pdf.l_margin
            for column, (lines, width) in enumerate(zip(cells, columns, strict=True)):
                if number < len(lines) and lines[number]:
                    pdf.set_font(FONT, "B" if bold[column] else "", size)
                    pdf.text_line(x + PAD, y, height, lines[number])
                x += width
            pdf.set_xy(pdf.l_margin, y + height)
        pdf.ln(PAD)
        pdf.set_draw_color(*RULE)
        pdf.line(pdf.l_margin, pdf.get_y(), pdf.l_margin + pdf.epw, pdf.get_y())
    pdf.ln(3)


def _cover(pdf: _Pdf, document: Document) -> None:
    pdf.add_page()
    if document.logo:  # a PNG the app encoded itself from checked pixels (admin/organisation.py)
        pdf.image(io.BytesIO(document.logo), x=pdf.l_margin, y=pdf.t_margin, h=LOGO_HEIGHT, keep_aspect_ratio=True,
                  w=pdf.epw / 2)
    pdf.set_y(pdf.t_margin + LOGO_HEIGHT)
    pdf.ln(45 - LOGO_HEIGHT)
    _paragraph(pdf, document.title, size=20, style="B", gap=12)
    _grid(pdf, document.cover, (1, 3), 11, label_column=True)
    for warning in [document.cover_warning, *document.notices]:
        if warning:
            pdf.ln(6)
            _paragraph(pdf, warning, size=11, style="B", color=WARNING)


def _fit(pdf: FPDF, text: str, width: float) -> str:
    """``text`` cut with an ellipsis to fit one line of ``width``."""
    if pdf.get_string_width(text) <= width:
        return text
    while text and pdf.get_string_width(text + "…") > width:
        text = text[:-1]
    return text.rstrip() + "…"


def _contents(pdf: FPDF, outline) -> None:
    """One line per entry, linked to its page: the number of pages it takes is known before."""
    pdf.set_font(FONT, "", 10)
    pdf.set_x(pdf.l_margin)  # fpdf2 puts back the page and height of the placeholder, not the margin
    for index, section in enumerate(outline):
        if index and index % TOC_PER_PAGE == 0:
            pdf.add_page()  # while the contents render, this moves to the next reserved page
        link = pdf.add_link(page=section.page_number)
        number = str(section.page_number)
        width = pdf.epw - pdf.get_string_width(number) - 4
        pdf.cell(width, 6.5, _fit(pdf, section.name, width), link=link)
        pdf.cell(0, 6.5, number, align="R", link=link, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def render(document: Document, language: str) -> bytes:
    """The PDF's bytes; call inside ``force_locale`` of the dossier's language."""
    # fpdf2 replaces its page-count alias everywhere in the document, so it must not be something
    # a contributor could type in a narrative; short, because the footer is centred on it.
    alias = "{" + secrets.token_hex(2) + "}"
    pdf = _Pdf(_("Page %(page)s of %(pages)s", page="{page}", pages=alias))
    pdf.alias_nb_pages(alias)
    pdf.set_title(document.title)
    pdf.set_lang(language)
    _cover(pdf, document)
    pdf.add_page()
    entries = sum(1 for b in document.blocks if b.kind == "heading" and b.level == 0)
    if entries:
        _paragraph(pdf, _("Contents"), size=16, style="B", gap=4)
        pdf.insert_toc_placeholder(_contents, pages=math.ceil(entries / TOC_PER_PAGE))
    for block in document.blocks:
        if block.kind == "heading" and block.level == 0:
            if pdf.get_y() > pdf.t_margin + 1:
                pdf.add_page()
            pdf.start_section(block.text, level=0)
            _paragraph(pdf, block.text, size=14, style="B", gap=3)
        elif block.kind == "heading":
            pdf.line_break_if_needed(20)  # a heading never ends a page alone
            pdf.ln(2)
            _paragraph(pdf, block.text, size=12 if block.level == 1 else 10.5, style="B", gap=1.5)
        elif block.kind == "text":
            _paragraph(pdf, block.text)
        elif block.kind == "note":
            _paragraph(pdf, block.text, size=8.5, color=MUTED)
        elif block.kind == "warning":
            _paragraph(pdf, block.text, size=10, style="B", color=WARNING)
        elif block.kind == "fields":
            _grid(pdf, block.rows, (1, 3), 9, label_column=True)
        elif block.kind == "mono":
            _grid(pdf, block.rows, (1, 5), 8, label_column=True)
        elif block.kind == "table":
            _grid(pdf, block.rows, block.widths or (1,) * len(block.headers), 8.5, headers=block.headers)
    return bytes(pdf.output())
