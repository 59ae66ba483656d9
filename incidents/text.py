"""Rules about characters that hold for every text the app takes in."""
from __future__ import annotations

import re

# Control characters other than tab and line breaks, the bidirectional overrides that can
# make text read differently from what is stored, and lone surrogates (JSON can escape one,
# "\ud800", but no database can store it): none belongs in a record or a query.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def without_control(text: str) -> str:
    return CONTROL.sub("", text)


# A leading character that makes Excel, LibreOffice or Google Sheets read a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value) -> str:
    """A spreadsheet cell as text that no spreadsheet runs (OWASP's advice: a leading apostrophe)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text
