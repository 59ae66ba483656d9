"""The four layouts of a dossier: the full record, and what three mechanisms ask for.

- ``dossier``: everything the redaction allows, incident by incident.
- ``un_srt``: a communication to the UN Special Rapporteur on Torture, in the order of the
  Rapporteur's model questionnaire (victim; date and place of arrest and detention; treatment;
  perpetrators; domestic remedies; submitter).
- ``echr``: a statement of facts for an application to the European Court of Human Rights, as
  numbered paragraphs. Russia ceased to be bound by the Convention after 16 September 2022; facts
  after that day are left out of the statement and listed as such.
- ``cpt``: an information note for the Council of Europe's anti-torture committee, facility by
  facility.

Call ``build`` inside ``flask_babel.force_locale(language)``: labels are in the dossier's
language, whatever the reader's.
"""
from __future__ import annotations

import datetime
from collections import Counter

from flask_babel import format_date
from flask_babel import gettext as _

from incidents import i18n, shape, vocab
from incidents.dossiers.document import (
    Document,
    custody_summary,
    evidence_block,
    facility_note,
    facility_text,
    person_rows,
    place,
    text_in,
    when,
)
from incidents.models import name_in

# The last day the Russian Federation was a party to the European Convention on Human Rights.
ECHR_LAST_DAY_RUSSIA = datetime.date(2022, 9, 16)
# Regions of Ukraine occupied by Russia, wholly or in part, since 2014 or 2022 (ISO 3166-2): Crimea,
# Sevastopol, Donetsk, Luhansk, Zaporizhzhia and Kherson oblasts.
OCCUPIED_REGIONS = frozenset({"UA-43", "UA-40", "UA-14", "UA-09", "UA-23", "UA-65"})
# Responses that are attempts at a domestic remedy, which the UN and the ECHR ask about.
DOMESTIC_REMEDIES = ("complaint", "inquiry", "case_refused", "criminal_case", "charges", "court_ruling")


FIELDS = {field.name: field for field in shape.INCIDENT}


def _declared(incident: dict, name: str, language: str) -> tuple[str, str]:
    """A field declared in ``shape.py``: its label, and its value as its kind is shown."""
    field, value = FIELDS[name], incident[name]
    if field.kind == shape.BOOL:
        return str(field.label), _("yes") if value else ""
    if field.kind == shape.CODE:
        return str(field.label), vocab.label(field.vocabulary, value, language) if value else ""
    return str(field.label), "" if value is None else str(value)


def _titles() -> dict[str, str]:
    return {
        "dossier": _("Documentation dossier"),
        "un_srt": _("Communication to the UN Special Rapporteur on Torture"),
        "echr": _("Statement of facts for an application to the European Court of Human Rights"),
        "cpt": _("Information note for the European Committee for the Prevention of Torture (CPT)"),
    }


def _no_submitter() -> str:
    return _("No organisation is named as the author of this document: the installation's administrators "
             "have not yet set the organisation profile. Do not send it before they have.")


def _cover(data: dict) -> Document:
    confidential = data["redaction"] == "confidential"
    compiled = datetime.datetime.fromisoformat(data["compiled_at"].rstrip("Z"))
    submitter = data["submitter"]
    return Document(
        title=_titles()[data["layout"]],
        notices=[] if submitter else [_no_submitter()],
        cover=[(_("Compiled by"), name_in(submitter["names"], data["language"]) if submitter else _("not set")),
               (_("Date"), format_date(compiled.date(), "long")),
               (_("Redaction"), _("Confidential: includes identities and sources") if confidential
                else _("Public: published information only")),
               (_("Incidents"), str(len(data["incidents"])))],
        cover_warning=_("Confidential. This document identifies people who may be in danger. Share it "
                        "only with those who need it; never publish it.") if confidential else "")


def _heading(document: Document, incident: dict, language: str) -> str:
    title, note = text_in(incident["title"], incident["original_language"], language)
    document.heading(f"{incident['reference']}: {title}")
    return note


def _terms_table(document: Document, terms: list[dict]) -> None:
    document.table((_("Term"), _("HURIDOCS code")), [(t["label"], t["huridocs"] or _("local term")) for t in terms],
                   widths=(3, 1))


def _responses(document: Document, responses: list[dict], language: str, original: str) -> None:
    """The responses in the dossier's language where translated, else in ``original`` (the incident's
    original language); under the table, each way a text is shown other than as written."""
    rows, notes = [], {}
    for r in responses:
        texts = [text_in(i18n.with_original(r.get(name, ""), original, r.get(f"{name}_translations")), original,
                         language) for name in ("body", "description")]
        notes.update((note, None) for _text, note in texts if note)
        rows.append((i18n.format_known_date(r.get("date")), vocab.label("responses", r["kind"], language),
                     texts[0][0], texts[1][0]))
    document.table((_("Date"), _("Response"), _("By whom"), _("Details")), rows, widths=(2, 3, 3, 5))
    for note in notes:
        document.note(note)


def _narrative(document: Document, incident: dict, language: str, said: str = "") -> None:
    """The narrative, with its translation note unless the title's note (``said``) said the same."""
    text, note = text_in(incident["narrative"], incident["original_language"], language)
    if note != said:
        document.note(note)
    document.text(text)


def _evidence(document: Document, incident: dict, confidential: bool, language: str) -> None:
    if not incident["evidence"]:
        document.note(_("No evidence in this dossier."))
    for item in incident["evidence"]:
        evidence_block(document, item, confidential, language, incident["original_language"])


def _assessments(document: Document, incident: dict, confidential: bool) -> None:
    if not confidential:
        document.note(_("Each item above shows its verification status; the assessments themselves are "
                        "in confidential dossiers."))
        return
    rows = [(str(item["number"]), vocab.ASSESSMENT_PART_LABELS[a["part"]], vocab.ASSESSMENT_OUTCOME_LABELS[a["outcome"]],
             i18n.format_incident_date(a["at"], None, "day"), a["method"], a["assessor"])
            for item in incident["evidence"] for a in item.get("assessments", [])]
    headers = (_("Item"), _("Part"), _("Outcome"), _("Date"), _("Method"), _("Assessor"))
    if rows:
        document.table(headers, rows)
    else:
        document.note(_("No assessment recorded yet."))


def full_dossier(data: dict) -> Document:
    language, confidential = data["language"], data["redaction"] == "confidential"
    document = _cover(data)
    for incident in data["incidents"]:
        said = _heading(document, incident, language)
        document.note(said)
        facility = incident["facility"]
        document.fields([
            _declared(incident, "reference", language),
            (_("Review status"), str(vocab.STATUS_LABELS[incident["status"]])),
            (_("Facility"), facility_text(facility, "names", language)),
            (_("Facility type"), vocab.label("facility_types", facility["type"], language)),
            (_("Place"), place(facility, language, named=False)),
            (_("Operating authority"), facility_text(facility, "authorities", language)),
            (_("Date"), when(incident)),
            _declared(incident, "victims_count", language),
            _declared(incident, "violation_status", language),
            (_("Verification"), str(vocab.VERIFICATION_LABELS[incident["verification"]])),
            _declared(incident, "graphic", language),
        ])
        document.note(facility_note(facility, language))
        document.heading(_("What happened"), 1)
        _narrative(document, incident, language, said)
        document.heading(_("What was done"), 1)
        _terms_table(document, incident["abuse"])
        if incident["perpetrators"]:
            document.heading(_("Alleged perpetrators"), 1)
            _terms_table(document, incident["perpetrators"])
        document.heading(_("People involved"), 1)
        if incident["persons"]:
            document.table(*person_rows(incident["persons"], confidential))
        else:
            document.note(_("No one is named in this dossier."))
        document.heading(_("Evidence"), 1)
        _evidence(document, incident, confidential, language)
        document.heading(_("Verification assessments"), 1)
        _assessments(document, incident, confidential)
        document.heading(_("What happened after"), 1)
        if incident["responses"]:
            _responses(document, incident["responses"], language, incident["original_language"])
        else:
            document.note(_("No response recorded."))
    return document


def un_communication(data: dict) -> Document:
    language, confidential = data["language"], data["redaction"] == "confidential"
    document = _cover(data)
    for incident in data["incidents"]:
        said = _heading(document, incident, language)
        document.note(said)
        victims = [p for p in incident["persons"] if p.get("role") == "victim"]
        document.heading(_("1. Victim"), 1)
        if victims:
            document.table(*person_rows(victims, confidential))
        count = incident["victims_count"]
        document.text(_("Number of victims: %(n)s", n=count) if count is not None else "")
        if not victims and count is None:
            document.note(_("The victim is not identified in this communication."))
        document.heading(_("2. Date and place of arrest and detention"), 1)
        facility = incident["facility"]
        document.fields([(_("Place of detention"), place(facility, language)),
                         (_("Facility type"), vocab.label("facility_types", facility["type"], language)),
                         (_("Authority responsible for the place"), facility_text(facility, "authorities", language)),
                         (_("Date of the treatment"), when(incident))])
        document.note(facility_note(facility, language))
        document.heading(_("3. Description of the treatment"), 1)
        _narrative(document, incident, language, said)
        _terms_table(document, incident["abuse"])
        document.heading(_("4. Alleged perpetrators"), 1)
        _terms_table(document, incident["perpetrators"])
        perpetrators = [p for p in incident["persons"] if p.get("role") == "perpetrator"]
        if perpetrators:
            document.table(*person_rows(perpetrators, confidential))
        if not incident["perpetrators"] and not perpetrators:
            document.note(_("Not known."))
        document.heading(_("5. Domestic remedies tried"), 1)
        remedies = [r for r in incident["responses"] if r["kind"] in DOMESTIC_REMEDIES]
        if remedies:
            _responses(document, remedies, language, incident["original_language"])
        else:
            document.note(_("No domestic remedy recorded."))
        document.heading(_("6. Evidence available"), 1)
        _evidence(document, incident, confidential, language)
        document.heading(_("7. Submitter"), 1)
        _submitter(document, data, incident)
    return document


def _submitter(document: Document, data: dict, incident: dict) -> None:
    """The organisation submitting the communication, and the consent statement it uses."""
    submitter, language = data["submitter"], data["language"]
    if submitter is None:
        document.warning(_no_submitter())
        document.fields([(_("Reference"), incident["reference"])])
        return
    document.fields([(_("Submitted by"), name_in(submitter["names"], language)),
                     (_("Postal address"), submitter["address"]),
                     (_("E-mail"), submitter["email"]), (_("Telephone"), submitter["phone"]),
                     (_("Website"), submitter["website"]),
                     (_("Reference"), incident["reference"])])
    document.heading(_("Consent"), 2)
    document.text(name_in(submitter["consent"], language))


def _after_cutoff(incident: dict) -> bool:
    """Began after the last day Russia was bound: out of the statement, listed at its end."""
    return incident["facility"]["country"] == "RU" and \
        datetime.date.fromisoformat(incident["date_start"]) > ECHR_LAST_DAY_RUSSIA


def _cutoff_warning(incident: dict) -> str:
    """Why an incident in the statement needs care about the cut-off, or ''."""
    facility = incident["facility"]
    last = datetime.date.fromisoformat(incident["date_end"] or incident["date_start"])
    if last <= ECHR_LAST_DAY_RUSSIA:
        return ""
    if facility["country"] == "UA" and facility["region"] in OCCUPIED_REGIONS:
        return _("This place is in a region of Ukraine occupied, wholly or in part, by Russia: an application "
                 "against the Russian Federation cannot cover facts after 16 September 2022.")
    if facility["country"] != "RU":
        return ""
    if incident["date_precision"] != "day":
        return _("The date is known only approximately and may fall after 16 September 2022; only facts up "
                 "to that day fall within the Court's jurisdiction.")
    return _("This incident continued after 16 September 2022; only the facts up to that day fall within "
             "the Court's jurisdiction.")


def echr_statement(data: dict) -> Document:
    language, confidential = data["language"], data["redaction"] == "confidential"
    document = _cover(data)
    within = [i for i in data["incidents"] if not _after_cutoff(i)]
    after = [i for i in data["incidents"] if _after_cutoff(i)]
    if any(i["facility"]["country"] == "RU" for i in data["incidents"]):
        document.notices.append(_("The Russian Federation ceased to be a party to the Convention on 16 September "
                                  "2022. Incidents that began after that day are not in this statement; those "
                                  "that may reach past it are flagged."))
    number = 0
    for incident in within:
        said = _heading(document, incident, language)
        document.note(said)
        warning = _cutoff_warning(incident)
        if warning:
            document.warning(warning)
        number += 1
        document.text(_("%(n)s. On %(date)s, at %(place)s:", n=number, date=when(incident),
                        place=place(incident["facility"], language)))
        _narrative(document, incident, language, said)
        number += 1
        document.text(_("%(n)s. The treatment: %(terms)s.", n=number,
                        terms="; ".join(t["label"] for t in incident["abuse"])))
        victims = [p for p in incident["persons"] if p.get("role") == "victim"]
        if victims:
            document.table(*person_rows(victims, confidential))
        remedies = [r for r in incident["responses"] if r["kind"] in DOMESTIC_REMEDIES]
        number += 1
        document.text(_("%(n)s. Domestic remedies:", n=number) if remedies
                      else _("%(n)s. No domestic remedy is recorded.", n=number))
        if remedies:
            _responses(document, remedies, language, incident["original_language"])
        document.heading(_("Evidence"), 1)
        _evidence(document, incident, confidential, language)
    if after:
        document.heading(_("Incidents after 16 September 2022 (not in the statement)"))
        document.table((_("Reference"), _("Date"), _("Facility")),
                       [(i["reference"], when(i), facility_text(i["facility"], "names", language)) for i in after])
    return document


def _period(incidents: list[dict]) -> str:
    """From the earliest incident to the latest, no more precisely than their dates are known."""
    start = min(i["date_start"] for i in incidents)
    end = max(i["date_end"] or i["date_start"] for i in incidents)
    exact = all(i["date_precision"] == "day" for i in incidents)
    return i18n.format_incident_date(start, end, "day" if exact else "circa")


def cpt_note(data: dict) -> Document:
    language, confidential = data["language"], data["redaction"] == "confidential"
    document = _cover(data)
    by_facility: dict[int, list[dict]] = {}
    for incident in data["incidents"]:
        by_facility.setdefault(incident["facility"]["id"], []).append(incident)
    for incidents in by_facility.values():
        facility = incidents[0]["facility"]
        document.heading(facility_text(facility, "names", language))
        document.fields([(_("Facility type"), vocab.label("facility_types", facility["type"], language)),
                         (_("Place"), place(facility, language)),
                         (_("Operating authority"), facility_text(facility, "authorities", language)),
                         (_("Other names"), ", ".join(facility["aliases"])),
                         (_("Incidents"), str(len(incidents))),
                         (_("Period"), _period(incidents))])
        document.note(facility_note(facility, language))
        counts = Counter(t["label"] for i in incidents for t in i["abuse"])
        document.heading(_("Treatment reported"), 1)
        document.table((_("Term"), _("Incidents")), counts.most_common())
        for incident in incidents:
            title, said = text_in(incident["title"], incident["original_language"], language)
            document.heading(f"{incident['reference']}: {title}", 1)
            document.note(said)
            document.fields([(_("Date"), when(incident)),
                             (_("What was done"), "; ".join(t["label"] for t in incident["abuse"]))])
            _narrative(document, incident, language, said)
            if incident["responses"]:
                _responses(document, incident["responses"], language, incident["original_language"])
            for item in incident["evidence"]:
                if item.get("sha256"):
                    document.mono([("SHA-256", item["sha256"])])
                    if confidential:
                        document.fields([(_("Custody"), custody_summary(item))])
            if incident["persons"]:
                document.table(*person_rows(incident["persons"], confidential))
    return document


LAYOUT_BUILDERS = {"dossier": full_dossier, "un_srt": un_communication, "echr": echr_statement, "cpt": cpt_note}


def build(data: dict) -> Document:
    return LAYOUT_BUILDERS[data["layout"]](data)
