"""Rules about characters that hold for every text the app takes in."""
from __future__ import annotations

import re

# Control characters other than tab and line breaks, the bidirectional overrides that can
# make text read differently from what is stored, and lone surrogates (JSON can escape one,
# "\ud800", but no database can store it): none belongs in a record or a query.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


# A lone surrogate alone: JSON can escape one, but UTF-8 cannot carry it (an answer quoting it,
# a sealed text holding it).
LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def without_control(text: str) -> str:
    return CONTROL.sub("", text)


# In a file's name, also line breaks and tabs (a name is one line, and a header cannot carry
# them) and the bidirectional marks, which can reorder the letters around an extension.
NAME_CONTROL = re.compile(CONTROL.pattern[:-1] + "\t\n\r\u061c\u200e\u200f\u2028\u2029]")


def shown_name(name) -> str:
    """A file's name as people see it: each control or bidi character a visible \ufffd, so
    "photo\u202egpj.exe" cannot pass for "photoexe.jpg"."""
    return NAME_CONTROL.sub("\ufffd", name or "")


def sendable_name(name) -> str:
    """A file's name as a download may suggest it: the same characters replaced by "_"."""
    return NAME_CONTROL.sub("_", name or "")


# A leading character that makes Excel, LibreOffice or Google Sheets read a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value) -> str:
    """A spreadsheet cell as text that no spreadsheet runs (OWASP's advice: a leading apostrophe)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text
