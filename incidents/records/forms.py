"""Forms for incidents and facilities. Fields carry no rules of their own: ``schema.py`` judges
input for the pages and the API alike, and its messages are shown beside these fields."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)

from incidents import geo, vocab
from incidents.config import LANGUAGES
from incidents.models import CONSENTS, DATE_PRECISIONS, PERSON_ROLES, SEXES
from incidents.search.facilities import visible_facilities

BLANK_ROWS = 1


def _select(label, **kwargs):
    return SelectField(label, validate_choice=False, **kwargs)


class PersonForm(Form):
    id = HiddenField()
    role = _select(_l("Role"))
    pseudonym = StringField(_l("Public pseudonym"))
    legal_name = StringField(_l("Legal name (confidential)"))
    contact = TextAreaField(_l("Contact (confidential)"))
    citizenship = _select(_l("Citizenship (confidential)"))
    sex = _select(_l("Sex"))
    age = StringField(_l("Age at the time"))
    consent = _select(_l("Consent to publication"))


class ResponseForm(Form):
    id = HiddenField()
    kind = _select(_l("Kind"))
    date = StringField(_l("When"), render_kw={"type": "date"})
    body = StringField(_l("Who acted"))
    description = TextAreaField(_l("Details and outcome"))
    confidential = BooleanField(_l("Confidential: never shown to the public"))


class EvidenceLinkForm(Form):
    id = HiddenField()
    kind = _select(_l("Kind"))
    url = StringField(_l("Link (http or https)"))
    description = StringField(_l("Description"))
    confidential = BooleanField(_l("Confidential: never shown to the public"))


class FacilityPlace(Form):
    """What a facility is and where, shared by its own form and the one inside an incident's."""

    aliases = TextAreaField(_l("Other names and spellings, one per line"))
    type = _select(_l("Type"))
    country = _select(_l("Country"))
    region = _select(_l("Region"))
    locality = StringField(_l("Town or locality"))
    latitude = StringField(_l("Latitude"))
    longitude = StringField(_l("Longitude"))
    authority = StringField(_l("Operating authority"))
    notes = TextAreaField(_l("Notes"))


class FacilityFields(FacilityPlace):
    """A facility entered on the way, inside the incident form: one name in one language."""

    name = StringField(_l("Facility name"))
    name_language = _select(_l("Language of the name"))


class FacilityForm(FlaskForm, FacilityPlace):
    name_en = StringField(_l("Name in English"))
    name_ru = StringField(_l("Name in Russian"))
    name_uk = StringField(_l("Name in Ukrainian"))


class IncidentForm(FlaskForm):
    version = HiddenField()
    facility = _select(_l("Facility"))
    new_facility = FormField(FacilityFields)
    date_precision = _select(_l("How precise is the date?"))
    date_start = StringField(_l("Start"))
    date_end = StringField(_l("End (optional)"))
    original_language = _select(_l("Language the account was first written in"))
    title_en = StringField(_l("Title in English"))
    title_ru = StringField(_l("Title in Russian"))
    title_uk = StringField(_l("Title in Ukrainian"))
    narrative_en = TextAreaField(_l("What happened, in English"))
    narrative_ru = TextAreaField(_l("What happened, in Russian"))
    narrative_uk = TextAreaField(_l("What happened, in Ukrainian"))
    abuse = SelectMultipleField(_l("What was done"), validate_choice=False)
    perpetrators = SelectMultipleField(_l("Who did it"), validate_choice=False)
    victims_count = StringField(_l("Number of victims"))
    violation_status = _select(_l("How certain is it that this was a violation?"))
    graphic = BooleanField(_l("The record describes or shows graphic violence"))
    persons = FieldList(FormField(PersonForm), min_entries=BLANK_ROWS)
    responses = FieldList(FormField(ResponseForm), min_entries=BLANK_ROWS)
    evidence = FieldList(FormField(EvidenceLinkForm), min_entries=BLANK_ROWS)


def _language_choices():
    return [(code, vocab.LANGUAGE_NAMES[code]) for code in LANGUAGES]


def fill_facility_choices(fields, language: str) -> None:
    fields.type.choices = [("", "—")] + vocab.choices("facility_types", language)
    fields.country.choices = [("", _l("— choose a country —"))] + geo.country_choices(language)
    fields.region.choices = [("", "—")] + geo.region_choices(fields.country.data or "", language)
    if hasattr(fields, "name_language"):
        fields.name_language.choices = _language_choices()


def fill_incident_choices(form: IncidentForm, language: str, user) -> None:
    facilities = sorted(visible_facilities(user), key=lambda f: f.name_in(language).casefold())
    form.facility.choices = [("", _l("— choose a facility —")), ("new", _l("+ A facility not in the list"))] + \
        [(str(f.id), f.name_in(language)) for f in facilities]
    fill_facility_choices(form.new_facility.form, language)
    form.date_precision.choices = [(p, vocab.DATE_PRECISION_LABELS[p]) for p in DATE_PRECISIONS]
    form.original_language.choices = _language_choices()
    form.abuse.choices = vocab.choices("abuse", language)
    form.perpetrators.choices = vocab.choices("perpetrators", language)
    form.violation_status.choices = [("", "—")] + vocab.choices("violation_status", language)
    countries = [("", "—")] + geo.country_choices(language)
    for entry in form.persons:
        entry.role.choices = [(r, vocab.PERSON_ROLE_LABELS[r]) for r in PERSON_ROLES]
        entry.sex.choices = [(s, vocab.SEX_LABELS[s]) for s in SEXES]
        entry.consent.choices = [(c, vocab.CONSENT_LABELS[c]) for c in CONSENTS]
        entry.citizenship.choices = countries
    responses = [("", "—")] + vocab.choices("responses", language)
    for entry in form.responses:
        entry.kind.choices = responses
    for entry in form.evidence:
        entry.kind.choices = [("", "—")] + vocab.choices("evidence_kinds", language)


def facility_form_data(form) -> dict:
    names = {lang: getattr(form, "name_" + lang).data for lang in LANGUAGES}
    return _facility_common(form, names)


def new_facility_data(fields) -> dict:
    return _facility_common(fields, {fields.name_language.data or "en": fields.name.data})


def _facility_common(fields, names: dict) -> dict:
    return {
        "names": {k: v for k, v in names.items() if v and v.strip()},
        "aliases": (fields.aliases.data or "").splitlines(),
        "type": fields.type.data,
        "country": fields.country.data,
        "region": fields.region.data or None,
        "locality": fields.locality.data,
        "latitude": fields.latitude.data,
        "longitude": fields.longitude.data,
        "authority": fields.authority.data,
        "notes": fields.notes.data,
    }


def _parse_row_id(value: str):
    return int(value) if value and value.isdecimal() and len(value) < 11 else None


def incident_form_data(form: IncidentForm) -> tuple[dict, dict]:
    """(incident data for ``schema.clean_incident``, map of data row keys back to form row keys).

    Rows left blank are dropped, so their numbering in the data differs from the form's.
    """
    persons, responses, evidence, renames = [], [], [], {}
    for index, entry in enumerate(form.persons):
        row = entry.form
        if not any((getattr(row, name).data or "").strip()
                   for name in ("pseudonym", "legal_name", "contact")):
            continue
        renames[f"persons-{len(persons)}"] = f"persons-{index}"
        persons.append({"id": _parse_row_id(row.id.data), "role": row.role.data, "pseudonym": row.pseudonym.data,
                        "legal_name": row.legal_name.data, "contact": row.contact.data,
                        "citizenship": row.citizenship.data, "sex": row.sex.data,
                        "age": row.age.data, "consent": row.consent.data})
    for index, entry in enumerate(form.responses):
        row = entry.form
        if not any((getattr(row, name).data or "").strip()
                   for name in ("kind", "date", "body", "description")):
            continue
        renames[f"responses-{len(responses)}"] = f"responses-{index}"
        responses.append({"id": _parse_row_id(row.id.data), "kind": row.kind.data, "date": row.date.data,
                          "body": row.body.data, "description": row.description.data,
                          "confidential": bool(row.confidential.data)})
    for index, entry in enumerate(form.evidence):
        row = entry.form
        if not (row.url.data or "").strip() and not (row.description.data or "").strip():
            continue
        renames[f"evidence-{len(evidence)}"] = f"evidence-{index}"
        evidence.append({"id": _parse_row_id(row.id.data), "kind": row.kind.data, "url": row.url.data,
                         "description": row.description.data, "confidential": bool(row.confidential.data)})
    data = {
        "facility": form.facility.data,
        "date_start": form.date_start.data,
        "date_end": form.date_end.data,
        "date_precision": form.date_precision.data,
        "original_language": form.original_language.data,
        "title": {lang: getattr(form, "title_" + lang).data for lang in LANGUAGES},
        "narrative": {lang: getattr(form, "narrative_" + lang).data for lang in LANGUAGES},
        "abuse": form.abuse.data,
        "perpetrators": form.perpetrators.data,
        "victims_count": form.victims_count.data,
        "violation_status": form.violation_status.data,
        "graphic": bool(form.graphic.data),
        "persons": persons,
        "responses": responses,
        "evidence": evidence,
    }
    return data, renames


def map_errors(fields: dict, renames: dict) -> dict:
    """Schema error keys ("persons-0-pseudonym") renamed to the form rows they came from."""
    mapped = {}
    for key, messages in fields.items():
        for data_prefix, form_prefix in renames.items():
            if key == data_prefix or key.startswith(data_prefix + "-"):
                key = form_prefix + key[len(data_prefix):]
                break
        mapped[key] = [str(m) for m in messages]
    return mapped


def form_from_snapshot(data: dict, version: int) -> IncidentForm:
    """A form filled from a snapshot, with one blank row more for people, responses and links."""
    form = IncidentForm(data={
        "version": version,
        "facility": str(data["facility"]),
        "date_precision": data["date_precision"],
        "date_start": data["date_start"],
        "date_end": data["date_end"] or "",
        "original_language": data["original_language"],
        **{"title_" + lang: data["title"].get(lang, "") for lang in LANGUAGES},
        **{"narrative_" + lang: data["narrative"].get(lang, "") for lang in LANGUAGES},
        "abuse": data["abuse"],
        "perpetrators": data["perpetrators"],
        "victims_count": "" if data["victims_count"] is None else str(data["victims_count"]),
        "violation_status": data["violation_status"] or "",
        "graphic": data["graphic"],
        "persons": [dict(p, id=str(p["id"]), age="" if p["age"] is None else str(p["age"]))
                    for p in data["persons"]] + [{}] * BLANK_ROWS,
        "responses": [dict(r, id=str(r["id"]), date=r["date"] or "") for r in data["responses"]]
        + [{}] * BLANK_ROWS,
        "evidence": [dict(e, id=str(e["id"])) for e in data["evidence"] if not e.get("sha256")]
        + [{}] * BLANK_ROWS,
    })
    return form
