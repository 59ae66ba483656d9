"""A dossier as a plain outline of blocks, which the PDF and the DOCX writers both lay out.

Layouts (``layouts.py``) decide what is said; writers (``pdf.py``, ``word.py``) decide only how it
looks. So a redaction or a label is right in both formats or wrong in both, and tests can read
the words of a dossier without parsing a PDF.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _

from incidents import geo, i18n, vocab
from incidents.text import shown_name


@dataclass
class Block:
    """One piece of a document.

    kinds: ``heading`` (level 0 opens an entry of the contents and a new page, level 1 a
    section, level 2 a sub-section), ``text`` (a paragraph), ``note`` (a remark in small type, e.g. about translation),
    ``warning`` (a remark that must not be missed), ``fields`` (label and value pairs in
    ``rows``), ``table`` (``headers`` and ``rows``), ``mono`` (label and value pairs whose values
    are hashes and must not be reflowed).
    """

    kind: str
    text: str = ""
    level: int = 0
    headers: tuple = ()
    rows: list = field(default_factory=list)
    widths: tuple = ()  # relative column widths of a table; equal when empty


@dataclass
class Document:
    title: str
    cover: list[tuple[str, str]]  # label, value: compiled by, date, redaction...
    cover_warning: str = ""
    notices: list[str] = field(default_factory=list)  # what the whole document is subject to, on the cover
    blocks: list[Block] = field(default_factory=list)
    logo: bytes | None = None  # the submitting organisation's logo, a PNG the app encoded, on the cover

    def heading(self, text: str, level: int = 0) -> None:
        self.blocks.append(Block("heading", text, level=level))

    def text(self, text: str) -> None:
        if text:
            self.blocks.append(Block("text", text))

    def note(self, text: str) -> None:
        if text:
            self.blocks.append(Block("note", text))

    def warning(self, text: str) -> None:
        self.blocks.append(Block("warning", text))

    def fields(self, rows: list[tuple[str, str]]) -> None:
        rows = [(label, value) for label, value in rows if value not in (None, "")]
        if rows:
            self.blocks.append(Block("fields", rows=rows))

    def mono(self, rows: list[tuple[str, str]]) -> None:
        self.blocks.append(Block("mono", rows=rows))

    def table(self, headers: tuple, rows: list[tuple], widths: tuple = ()) -> None:
        if rows:
            self.blocks.append(Block("table", headers=headers, rows=[tuple(map(str, r)) for r in rows],
                                     widths=widths))


# --- What every layout says the same way ----------------------------------------------------------

def text_in(texts: dict, original: str, language: str) -> tuple[str, str]:
    """(text, note): the dossier's language when there is a translation, saying it is one;
    otherwise the original, saying which language it is in."""
    text, shown = i18n.pick_text(texts, original, language)
    if shown == original:
        if original != language and text:
            return text, _("Not translated: shown in the original language (%(language)s).",
                           language=i18n.language_name(original))
        return text, ""
    return text, _("Translated from %(language)s; the original text is authoritative.",
                   language=i18n.language_name(original))


def facility_text(facility: dict, key: str, language: str) -> str:
    """A facility's ``names``, ``localities`` or ``authorities`` in the dossier's language, else in
    the original (``facility_note`` says so)."""
    return text_in(facility[key], facility["original_language"], language)[0]


def facility_note(facility: dict, language: str) -> str:
    """Whether a facility's name, place and authority are translated, or shown in the original for
    want of a translation (which wins: a reader must know the text is not in their language)."""
    original = facility["original_language"]
    shown = {i18n.pick_text(facility[key], original, language)[1] for key in ("names", "localities", "authorities")
             if facility[key]}
    name = i18n.language_name(original)
    if original != language and original in shown:
        return _("The facility's details are not translated: shown in the original language (%(language)s).",
                 language=name)
    if original != language and language in shown:
        return _("The facility's details are translated from %(language)s; the original text is authoritative.",
                 language=name)
    return ""


def place(facility: dict, language: str, *, named: bool = True) -> str:
    """Facility, locality, region, country: where an incident happened, in one line."""
    parts = [facility_text(facility, "names", language) if named else "", facility_text(facility, "localities", language),
             geo.region_name(facility["region"], language), geo.country_name(facility["country"], language)]
    return ", ".join(p for p in parts if p)


def when(incident: dict) -> str:
    """'15 March 2020 (exact day)': the date as precise as it is known, saying how precise."""
    text = i18n.format_incident_date(incident["date_start"], incident["date_end"], incident["date_precision"])
    return f"{text} ({vocab.DATE_PRECISION_LABELS[incident['date_precision']]})"


def person_rows(persons: list[dict], confidential: bool) -> tuple[tuple, list[tuple], tuple]:
    """(headers, rows, widths) of a table of people, as far as the redaction shows them."""
    headers = [_("Role"), _("Pseudonym"), _("Sex and age")]
    if confidential:
        headers += [_("Legal name and contact"), _("Citizenship"), _("Consent")]
    rows = []
    for p in persons:
        sex = str(vocab.SEX_LABELS[p["sex"]]) if p.get("sex") and p["sex"] != "unknown" else ""
        row = [vocab.PERSON_ROLE_LABELS.get(p.get("role"), p.get("role", "")), p.get("pseudonym", ""),
               ", ".join(part for part in (sex, "" if p.get("age") is None else str(p["age"])) if part)]
        if confidential:
            identity = "\n".join(part for part in (p.get("legal_name"), p.get("contact")) if part) or \
                (_("withheld: no consent to be named") if p.get("identity_withheld") else "")
            row += [identity, p.get("citizenship", ""), vocab.CONSENT_LABELS.get(p.get("consent"), "")]
        rows.append(tuple(row))
    return tuple(headers), rows, (3, 3, 2, 4, 3, 3) if confidential else (2, 3, 2)


def custody_summary(item: dict) -> str:
    """'Received 12 May 2021; hashed; exported 3 times; last verified 2 June 2024'."""
    events = item.get("custody", [])
    if not events:
        return _("No custody events recorded.")
    counts: dict[str, int] = {}
    for event in events:
        counts[event["action"]] = counts.get(event["action"], 0) + 1
    parts = [_("first recorded %(date)s", date=i18n.format_incident_date(events[0]["at"][:10], None, "day"))]
    for action, count in counts.items():
        parts.append(f"{vocab.CUSTODY_LABELS.get(action, action)} × {count}")
    return "; ".join(parts)


def evidence_block(document: Document, item: dict, confidential: bool, language: str, original: str) -> None:
    """One item; its description in the dossier's language where translated, else in ``original``
    (its incident's original language), saying which."""
    kind = vocab.label("evidence_kinds", item["kind"], language)
    description, said = text_in(i18n.with_original(item["description"], original, item.get("description_translations")),
                                original, language)
    rows = [(_("Description"), description), (_("Link"), item["url"])]
    if item.get("sha256"):
        rows += [(_("Size"), i18n.format_size(item["size"])), (_("Media type"), i18n.media_kind(item["media_type"]) if item["media_type"] else "")]
    if item.get("verification"):
        rows.append((_("Verification"), str(vocab.VERIFICATION_LABELS[item["verification"]])))
    if confidential:
        rows += [(_("Original file name"), shown_name(item.get("filename", ""))),
                 (_("Source (confidential)"), item.get("source", "")),
                 (_("How it was obtained"), str(vocab.ACQUISITION_LABELS.get(item.get("acquisition"), ""))),
                 (_("Received on"), i18n.format_known_date(item.get("received_on"))),
                 (_("Claimed date of capture"), i18n.format_known_date(item.get("captured_on"))),
                 (_("Claimed place of capture"), item.get("captured_place", ""))]
    if item.get("sha256"):
        rows.append((_("Custody"), custody_summary(item) if confidential
                     else _("recorded by the documenting organisation; in confidential dossiers")))
    document.heading(_("Item %(number)s: %(kind)s", number=item["number"], kind=kind) if item.get("sha256")
                     else _("Item %(number)s, a link: %(kind)s", number=item["number"], kind=kind), level=2)
    document.fields(rows)
    document.note(said)
    if item.get("sha256"):
        document.mono([("SHA-256", item["sha256"])])
