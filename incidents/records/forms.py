"""Forms for incidents and facilities. Fields carry no rules of their own: ``schema.py`` judges
input for the pages and the API alike, and its messages are shown beside these fields.

The incident form, its rows and their round trip to a snapshot are made from ``shape.py``; where
each field goes on the page is the template's (``records/incident_form.html``)."""
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

from incidents import geo, shape, vocab
from incidents.config import LANGUAGES
from incidents.search.facilities import visible_facilities

BLANK_ROWS = 1


def _select(label, **kwargs):
    return SelectField(label, validate_choice=False, **kwargs)


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
    # Shown only when the facility may already be kept (service.PossibleDuplicate).
    confirm_new = BooleanField(_l("This is another facility: create it anyway"))


class FacilityFields(FacilityPlace):
    """A facility entered on the way, inside the incident form: one name in one language."""

    name = StringField(_l("Facility name"))
    name_language = _select(_l("Language of the name"))


class FacilityForm(FlaskForm, FacilityPlace):
    name_en = StringField(_l("Name in English"))
    name_ru = StringField(_l("Name in Russian"))
    name_uk = StringField(_l("Name in Ukrainian"))


def _form_field(field: shape.Field):
    """The form's field for a declared one (``shape.py``): labels come from the declaration."""
    label, kind = field.prompt or field.label, field.kind
    if kind == shape.ID:
        return HiddenField()
    if kind in (shape.CHOICE, shape.CODE, shape.COUNTRY, shape.FACILITY):
        return _select(label)
    if kind == shape.CODES:
        return SelectMultipleField(label, validate_choice=False)
    if kind == shape.BOOL:
        return BooleanField(label)
    if kind == shape.DATE:
        return StringField(label, render_kw={"type": "date"})
    return (TextAreaField if field.text_area else StringField)(label)


def _form_fields(fields) -> dict:
    """Form fields by name: a text per language is one field per language (``title_en``...)."""
    made = {}
    for field in fields:
        if field.kind == shape.TEXTS:
            made.update({f"{field.name}_{lang}": (TextAreaField if field.text_area else StringField)(field.prompt[lang])
                         for lang in LANGUAGES})
        elif field.kind == shape.ROWS:
            made[field.name] = FieldList(FormField(ROW_FORMS[field.name]), min_entries=BLANK_ROWS)
        elif field.writable:
            made[field.name] = _form_field(field)
    return made


ROW_FORMS = {"persons": type("PersonForm", (Form,), _form_fields(shape.PERSON)),
             "responses": type("ResponseForm", (Form,), _form_fields(shape.RESPONSE)),
             "evidence": type("EvidenceLinkForm", (Form,), _form_fields(shape.LINK))}
# A row counts as entered when one of these holds text: selects with a default never leave one blank.
FILLED_BY = {"persons": ("pseudonym", "legal_name", "contact"),
             "responses": ("kind", "date", "body", "description"),
             "evidence": ("url", "description")}

IncidentForm = type("IncidentForm", (FlaskForm,), {"version": HiddenField(), **_form_fields(shape.INCIDENT),
                                                   "new_facility": FormField(FacilityFields)})


def _language_choices():
    return [(code, vocab.LANGUAGE_NAMES[code]) for code in LANGUAGES]


def fill_facility_choices(fields, language: str) -> None:
    fields.type.choices = [("", "—")] + vocab.choices("facility_types", language)
    fields.country.choices = [("", _l("— choose a country —"))] + geo.country_choices(language)
    fields.region.choices = [("", "—")] + geo.region_choices(fields.country.data or "", language)
    if hasattr(fields, "name_language"):
        fields.name_language.choices = _language_choices()


def facility_label(facility, language: str) -> str:
    """A facility as a choice: its name and where it is, as two of one name differ by their place."""
    place = geo.region_name(facility.region, language) or geo.country_name(facility.country, language)
    return f"{facility.name_in(language)} — {place}"


def fill_incident_choices(form: IncidentForm, language: str, user) -> None:
    facilities = sorted(visible_facilities(user), key=lambda f: f.name_in(language).casefold())
    form.facility.choices = [("", _l("— choose a facility —")), ("new", _l("+ A facility not in the list"))] + \
        [(str(f.id), facility_label(f, language)) for f in facilities]
    fill_facility_choices(form.new_facility.form, language)
    _fill_choices([form], shape.INCIDENT, language)
    for field in shape.INCIDENT:
        if field.kind == shape.ROWS:
            _fill_choices([entry.form for entry in form[field.name]], shape.ROW_SHAPES[field.name], language)


def _choices(field: shape.Field, language: str) -> list:
    if field.kind == shape.CHOICE:
        labels = getattr(vocab, field.labels)
        return [(value, labels[value]) for value in field.choices]
    if field.kind == shape.CODES:
        return vocab.choices(field.vocabulary, language)
    if field.kind == shape.CODE:
        return [("", "—")] + vocab.choices(field.vocabulary, language)
    return [("", "—")] + geo.country_choices(language)


def _fill_choices(forms: list, fields, language: str) -> None:
    """Each select of the declared ``fields`` gets its choices, made once for all ``forms``."""
    for field in fields:
        if field.kind in (shape.CHOICE, shape.CODE, shape.CODES, shape.COUNTRY):
            choices = _choices(field, language)
            for form in forms:
                form[field.name].choices = choices


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


def _from_form(field: shape.Field, form):
    if field.kind == shape.TEXTS:
        return {lang: form[f"{field.name}_{lang}"].data for lang in LANGUAGES}
    value = form[field.name].data
    if field.kind == shape.ID:
        return _parse_row_id(value)
    return bool(value) if field.kind == shape.BOOL else value


def incident_form_data(form) -> tuple[dict, dict]:
    """(incident data for ``schema.clean_incident``, map of data row keys back to form row keys).

    Rows left blank are dropped, so their numbering in the data differs from the form's.
    """
    data, renames = {}, {}
    for field in shape.INCIDENT:
        if not field.writable:
            continue
        if field.kind != shape.ROWS:
            data[field.name] = _from_form(field, form)
            continue
        rows = data[field.name] = []
        for index, entry in enumerate(form[field.name]):
            row = entry.form
            if not any((row[name].data or "").strip() for name in FILLED_BY[field.name]):
                continue
            renames[f"{field.name}-{len(rows)}"] = f"{field.name}-{index}"
            rows.append({part.name: _from_form(part, row) for part in shape.ROW_SHAPES[field.name]})
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


def _to_form(field: shape.Field, value):
    """A snapshot's value as its form field shows it: text, "" for none."""
    if field.kind in (shape.FACILITY, shape.ID):
        return str(value)
    if field.kind == shape.INT:
        return "" if value is None else str(value)
    if field.kind in (shape.PARTIAL_DATE, shape.DATE, shape.CODE):
        return value or ""
    return value


def form_from_snapshot(data: dict, version: int):
    """A form filled from a snapshot, with one blank row more for people, responses and links."""
    values = {"version": version}
    for field in shape.INCIDENT:
        if not field.writable:
            continue
        if field.kind == shape.TEXTS:
            values.update({f"{field.name}_{lang}": data[field.name].get(lang, "") for lang in LANGUAGES})
        elif field.kind == shape.ROWS:
            # Preserved files are described on their own pages, not in this form.
            values[field.name] = [
                dict(row, **{part.name: _to_form(part, row[part.name])
                             for part in shape.ROW_SHAPES[field.name] if part.name in row})
                for row in data[field.name] if not row.get("sha256")] + [{}] * BLANK_ROWS
        else:
            values[field.name] = _to_form(field, data[field.name])
    return IncidentForm(data=values)
