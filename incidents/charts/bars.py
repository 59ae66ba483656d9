"""Horizontal bar charts: one layout, drawn as SVG (in the page and as a download) and as PNG.

Labels are wrapped to three lines in their column, measured with the shipped font, and cut with "…"
only past that; the whole label is each bar's SVG ``<title>`` (shown on hover) and in the table
beside the chart. The SVG has a viewBox and no fixed size, so it scales to a phone's width."""
from __future__ import annotations

import io
import os
from dataclasses import dataclass
from functools import cache
from xml.sax.saxutils import escape

from babel.numbers import format_decimal
from PIL import Image, ImageDraw, ImageFont

FONTS = os.path.join(os.path.dirname(os.path.dirname(__file__)), "dossiers", "fonts")
# A narrow drawing with large type: on a phone (about 300 px for the chart) it shrinks to
# about 0.6, so its 16 px text reads at 10 px; on a desktop it is shown near its own size.
WIDTH = 480
LEFT = 4
LABEL_WIDTH = 178  # the label column, from LEFT; bars start after it
BAR_X = 188
BAR_MAX = 230  # room is left after the longest bar for its count
FONT_SIZE = 16
LINE = 19
ROW_MIN = 30
BAR_HEIGHT = 20
LABEL_LINES = 3
TITLE_SIZE = 17
COLOUR, INK, PAPER = "#1f4e8c", "#1d232b", "#ffffff"


@cache
def font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(os.path.join(FONTS, "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"), size)


def wrap(text: str, width: float, size: int = FONT_SIZE, lines: int = 2) -> list[str]:
    """``text`` in at most ``lines`` lines no wider than ``width`` at ``size``; the last one ends
    in "…" when the text does not fit. DejaVu Sans is wider than most browsers' sans-serif, so a
    line measured with it fits in theirs."""
    measure = font(size).getlength
    words, out = text.split(), []
    current = ""
    for word in words:
        candidate = f"{current} {word}".strip()
        if measure(candidate) <= width:
            current = candidate
            continue
        if current:
            out.append(current)
        current = word
        while measure(current) > width:  # one word longer than the column: cut it
            cut = len(current)
            while cut > 1 and measure(current[:cut]) > width:
                cut -= 1
            out.append(current[:cut])
            current = current[cut:]
    if current:
        out.append(current)
    if len(out) > lines:
        last = " ".join(out[lines - 1:])
        while last and measure(last + "…") > width:
            last = last[:-1].rstrip()
        out = out[:lines - 1] + [last + "…"]
    return out or [""]


@dataclass
class Row:
    label: str
    lines: list[str]
    count: int
    count_text: str
    y: int
    height: int
    bar: float


@dataclass
class Chart:
    title: str
    title_lines: list[str]
    rows: list[Row]
    top: int  # where the bars start (below the title, when drawn)
    height: int


def layout(rows: list[tuple], title: str, locale: str, with_title: bool = False) -> Chart:
    """Where everything goes; ``rows`` are (value, label, count)."""
    most = max((count for _v, _l, count in rows), default=0) or 1
    title_lines = wrap(title, WIDTH - 8, TITLE_SIZE, 3) if with_title else []
    y = len(title_lines) * (TITLE_SIZE + 6) + (10 if title_lines else 2)
    top, placed = y, []
    for _value, label, count in rows:
        lines = wrap(str(label), LABEL_WIDTH, lines=LABEL_LINES)
        height = max(ROW_MIN, len(lines) * LINE + 10)
        placed.append(Row(str(label), lines, count, format_decimal(count, locale=locale), y, height,
                          round(count / most * BAR_MAX, 1)))
        y += height
    return Chart(title, title_lines, placed, top, y + 8)


def svg(chart: Chart, standalone: bool = False) -> str:
    """The chart as SVG: ``standalone`` adds the XML declaration, a white ground and the title."""
    out = []
    if standalone:
        out.append('<?xml version="1.0" encoding="UTF-8"?>\n')
    out.append(f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {chart.height}" '
               f'role="img" aria-label="{escape(chart.title, {chr(34): "&quot;"})}" '
               f'font-family="DejaVu Sans, Verdana, Arial, sans-serif" font-size="{FONT_SIZE}">')
    out.append(f"<title>{escape(chart.title)}</title>")
    if standalone:
        out.append(f'<rect width="{WIDTH}" height="{chart.height}" fill="{PAPER}"/>')
        for i, line in enumerate(chart.title_lines):
            out.append(f'<text x="4" y="{(i + 1) * (TITLE_SIZE + 6)}" font-size="{TITLE_SIZE}" font-weight="bold" '
                       f'fill="{INK}">{escape(line)}</text>')
    for row in chart.rows:
        middle = row.y + row.height / 2
        first = middle - (len(row.lines) - 1) * LINE / 2 + 5.5
        out.append(f"<g><title>{escape(row.label)}: {escape(row.count_text)}</title>")
        for i, line in enumerate(row.lines):
            out.append(f'<text x="{LEFT}" y="{first + i * LINE:.1f}" fill="{INK}">{escape(line)}</text>')
        out.append(f'<rect x="{BAR_X}" y="{middle - BAR_HEIGHT / 2:.1f}" width="{row.bar}" height="{BAR_HEIGHT}" '
                   f'rx="3" fill="{COLOUR}"/>')
        out.append(f'<text x="{BAR_X + row.bar + 6:.1f}" y="{middle + 5.5:.1f}" fill="{INK}">{escape(row.count_text)}</text></g>')
    out.append("</svg>")
    return "".join(out)


def png(chart: Chart, scale: int = 2) -> bytes:
    """The same chart as a PNG, ``scale`` times the SVG's size (sharp on a screen or in print)."""
    image = Image.new("RGB", (WIDTH * scale, chart.height * scale), PAPER)
    draw = ImageDraw.Draw(image)
    body, heading = font(FONT_SIZE * scale), font(TITLE_SIZE * scale, bold=True)
    for i, line in enumerate(chart.title_lines):
        draw.text((4 * scale, (i + 1) * (TITLE_SIZE + 6) * scale), line, font=heading, fill=INK, anchor="ls")
    for row in chart.rows:
        middle = row.y + row.height / 2
        first = middle - (len(row.lines) - 1) * LINE / 2 + 5.5
        for i, line in enumerate(row.lines):
            draw.text((LEFT * scale, (first + i * LINE) * scale), line, font=body, fill=INK, anchor="ls")
        if row.bar:
            draw.rounded_rectangle(((BAR_X * scale, (middle - BAR_HEIGHT / 2) * scale),
                                    ((BAR_X + row.bar) * scale, (middle + BAR_HEIGHT / 2) * scale)),
                                   radius=3 * scale, fill=COLOUR)
        draw.text(((BAR_X + row.bar + 6) * scale, (middle + 5.5) * scale), row.count_text, font=body, fill=INK,
                  anchor="ls")
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()
