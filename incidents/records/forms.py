"""Forms for incidents and facilities. Fields carry no rules of their own: ``schema.py`` judges
input for the pages and the API alike, and its messages are shown beside these fields.

The incident form, its rows and their round trip to a snapshot are made from ``shape.py``; where
each field goes on the page is the template's (``records/incident_form.html``)."""
from __future__ import annotations

import datetime

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

from incidents import geo, i18n, shape, vocab
from incidents.config import LANGUAGES
from incidents.evidence.schema import form_flags
from incidents.search.facilities import visible_facilities
from incidents.text import without_control
from incidents.validation import Errors, clean_text, known_date_start, period_of

BLANK_ROWS = 1
# The most of one typed field a question about likely duplicates reads (config's MAX_TEXT_LENGTH).
MAX_TYPED = 20_000


def _select(label, **kwargs):
    return SelectField(label, validate_choice=False, **kwargs)


class FacilityPlace(Form):
    """What a facility is and where, shared by its own form and the one inside an incident's."""

    aliases = TextAreaField(_l("Other names and spellings, one per line"))
    type = _select(_l("Type"))
    country = _select(_l("Country"))
    region = _select(_l("Region"))
    latitude = StringField(_l("Latitude"))
    longitude = StringField(_l("Longitude"))
    notes = TextAreaField(_l("Notes"))
    # Shown only when the facility may already be kept (service.PossibleDuplicate).
    confirm_new = BooleanField(_l("This is another facility: create it anyway"))


class FacilityFields(FacilityPlace):
    """A facility entered on the way, inside the incident form: one name in one language."""

    name = StringField(_l("Facility name"))
    name_language = _select(_l("Language of the name"))
    locality = StringField(_l("Town or locality"))
    authority = StringField(_l("Operating authority"))


class FacilityForm(FlaskForm, FacilityPlace):
    """A facility's own form: its name, locality and authority in each language, one the original."""

    original_language = _select(_l("Original language"))
    name_en = StringField(_l("Name in English"))
    name_ru = StringField(_l("Name in Russian"))
    name_uk = StringField(_l("Name in Ukrainian"))
    locality_en = StringField(_l("Town or locality in English"))
    locality_ru = StringField(_l("Town or locality in Russian"))
    locality_uk = StringField(_l("Town or locality in Ukrainian"))
    authority_en = StringField(_l("Operating authority in English"))
    authority_ru = StringField(_l("Operating authority in Russian"))
    authority_uk = StringField(_l("Operating authority in Ukrainian"))


def _form_field(field: shape.Field):
    """The form's field for a declared one (``shape.py``): labels come from the declaration."""
    label, kind = field.prompt or field.label, field.kind
    if kind == shape.ID:
        return HiddenField()
    if kind == shape.CHOICE:
        # A new form starts at the declared default ("unknown", "none"), never at whatever is
        # listed first: a select with nothing chosen shows its first option as if it were said.
        return _select(label, default="" if field.unstated else field.default)
    if kind in (shape.CODE, shape.COUNTRY, shape.FACILITY):
        return _select(label)
    if kind == shape.CODES:
        return SelectMultipleField(label, validate_choice=False)
    if kind == shape.BOOL:
        return BooleanField(label)
    if kind == shape.DATE:
        # Text, not a browser date picker: that takes only whole days, in the browser's own order.
        return StringField(label)
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


def _translation_boxes(fields) -> tuple[str, ...]:
    return tuple(f"{field.name}_{lang}" for field in fields if field.kind == shape.TEXTS for lang in LANGUAGES)


# A row counts as entered when one of these holds text: selects with a default never leave one blank.
# A translation typed alone is entered too: dropped, it would be lost without a word.
FILLED_BY = {"persons": ("pseudonym", "legal_name", "contact"),
             "responses": ("kind", "date", "body", "description") + _translation_boxes(shape.RESPONSE),
             "evidence": ("url", "description") + _translation_boxes(shape.LINK)}

IncidentForm = type("IncidentForm", (FlaskForm,), {"version": HiddenField(), **_form_fields(shape.INCIDENT),
                                                   "new_facility": FormField(FacilityFields)})


def _language_choices():
    return [(code, i18n.language_name(code)) for code in LANGUAGES]


def fill_facility_choices(fields, language: str) -> None:
    fields.type.choices = [("", "—")] + vocab.choices("facility_types", language)
    fields.country.choices = [("", _l("— choose a country —"))] + geo.country_choices(language)
    fields.region.choices = [("", "—")] + geo.region_choices(fields.country.data or "", language)
    for choice in ("name_language", "original_language"):
        if hasattr(fields, choice):
            fields[choice].choices = _language_choices()


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
        return ([("", field.unstated)] if field.unstated else []) + [(value, labels[value]) for value in field.choices]
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


def _per_language(form, prefix: str) -> dict:
    return {lang: form[f"{prefix}_{lang}"].data for lang in LANGUAGES if (form[f"{prefix}_{lang}"].data or "").strip()}


def facility_form_data(form) -> dict:
    return {**_facility_common(form), "original_language": form.original_language.data,
            "names": _per_language(form, "name"), "localities": _per_language(form, "locality"),
            "authorities": _per_language(form, "authority")}


def facility_form_values(facility) -> dict:
    """A facility as its own form shows it to be edited."""
    values = {f"{prefix}_{lang}": text for prefix, texts in (("name", facility.names), ("locality", facility.localities),
                                                             ("authority", facility.authorities))
              for lang, text in texts.items()}
    return {**values, "original_language": facility.original_language, "aliases": "\n".join(facility.aliases),
            "type": facility.type, "country": facility.country, "region": facility.region or "",
            "notes": facility.notes, "latitude": "" if facility.latitude is None else facility.latitude,
            "longitude": "" if facility.longitude is None else facility.longitude}


def new_facility_data(fields) -> dict:
    """A facility entered inside an incident's form: its texts are in the language of its name."""
    language = fields.name_language.data or "en"
    return {**_facility_common(fields), "original_language": language,
            "names": {language: fields.name.data} if (fields.name.data or "").strip() else {},
            "locality": fields.locality.data, "authority": fields.authority.data}


def _facility_common(fields) -> dict:
    return {
        "aliases": (fields.aliases.data or "").splitlines(),
        "type": fields.type.data,
        "country": fields.country.data,
        "region": fields.region.data or None,
        "latitude": fields.latitude.data,
        "longitude": fields.longitude.data,
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


def place_text_errors(errors: dict, data: dict, max_text: int) -> dict:
    """Errors of a text kept per language ("title", "narrative") moved beside the field of the
    language they concern: each language's text is judged again, as the schema judged it, to learn
    which one failed; what concerns none (the original language left empty) goes beside the
    original language's field. The API keeps one key per text, as its clients read it."""
    for field in shape.INCIDENT:
        if field.kind != shape.TEXTS or field.name not in errors:
            continue
        messages = errors.pop(field.name)
        placed = set()
        for language, text in (data.get(field.name) or {}).items():
            found = Errors()
            clean_text(text, field.name, found, max_length=field.max_length or max_text, multiline=field.multiline)
            if found and language in LANGUAGES:
                errors[f"{field.name}_{language}"] = [str(message) for message in found[field.name]]
                placed.update(errors[f"{field.name}_{language}"])
        rest = [message for message in messages if message not in placed]
        if rest:
            original = data.get("original_language") if data.get("original_language") in LANGUAGES else LANGUAGES[0]
            errors.setdefault(f"{field.name}_{original}", []).extend(rest)
    return errors


def _to_form(field: shape.Field, value, language: str):
    """A snapshot's value as its form field shows it: text, "" for none; a date as it was typed."""
    if field.kind == shape.DATE and value:
        return _written(*known_date_start(value), language)
    if field.kind in (shape.FACILITY, shape.ID):
        return str(value)
    if field.kind == shape.INT:
        return "" if value is None else str(value)
    if field.kind in (shape.PARTIAL_DATE, shape.DATE, shape.CODE):
        return value or ""
    return value


# How finely a start may be written under each precision (a coarser start would claim less).
_START_FORMS = {"year": ("year",), "month": ("month",), "day": ("day",), "circa": ("year", "month", "day")}


def _written(day: datetime.date, form: str, language: str) -> str:
    """A year as "2020"; a month as "03.2020" and a day as "15.03.2020" (year first, as ISO, in English)."""
    if form == "year":
        return str(day.year)
    if language == "en":
        return f"{day.year}-{day.month:02}" if form == "month" else day.isoformat()
    return f"{day.month:02}.{day.year}" if form == "month" else f"{day.day:02}.{day.month:02}.{day.year}"


def _as_typed(start: datetime.date, end: datetime.date, precision: str, language: str) -> tuple[str, str]:
    """A stored span as a person types it, so that sending it back stores the same span and precision:
    the start in the coarsest form its precision allows that begins on it and ends within the span;
    the end only where the start's period does not already end there, in the coarsest form that ends
    on it ("2020" for all of 2020, not 2020-01-01 to 2020-12-31)."""
    start_form = next((form for form in _START_FORMS.get(precision, ("day",))
                       if period_of(start, form)[0] == start and period_of(start, form)[1] <= end), "day")
    if period_of(start, start_form)[1] == end:
        return _written(start, start_form, language), ""
    end_form = next(form for form in ("year", "month", "day") if period_of(end, form)[1] == end)
    return _written(start, start_form, language), _written(end, end_form, language)


def _row_to_form(fields, row: dict, language: str) -> dict:
    """A snapshot's row as its form fields show it; its translations one field per language."""
    values = dict(row, **{part.name: _to_form(part, row[part.name], language) for part in fields
                          if part.name in row and part.kind != shape.TEXTS})
    values.update({f"{part.name}_{lang}": (row.get(part.name) or {}).get(lang, "")
                   for part in fields if part.kind == shape.TEXTS for lang in LANGUAGES})
    return values


def form_from_snapshot(data: dict, version: int, language: str):
    """A form filled from a snapshot, with one blank row more for people, responses and links; its
    dates as they were typed, in the order of ``language``."""
    values = {"version": version}
    for field in shape.INCIDENT:
        if not field.writable:
            continue
        if field.kind == shape.TEXTS:
            values.update({f"{field.name}_{lang}": data[field.name].get(lang, "") for lang in LANGUAGES})
        elif field.kind == shape.ROWS:
            # Preserved files are described on their own pages, not in this form.
            values[field.name] = [_row_to_form(shape.ROW_SHAPES[field.name], row, language)
                                  for row in data[field.name] if not row.get("sha256")] + [{}] * BLANK_ROWS
        else:
            values[field.name] = _to_form(field, data[field.name], language)
    if data.get("date_start"):
        start = datetime.date.fromisoformat(data["date_start"])
        end = datetime.date.fromisoformat(data["date_end"]) if data.get("date_end") else start
        values["date_start"], values["date_end"] = _as_typed(start, end, data.get("date_precision") or "day",
                                                             language)
    return IncidentForm(data=values)


def similar_fields(values) -> dict:
    """What ``duplicates.likely_for_fields`` reads of the incident form as typed (request.form):
    only fields that take part in a likeness, texts cut to the longest a field may hold."""
    def text(name: str) -> str:
        return without_control(values.get(name, ""))[:MAX_TYPED]
    pseudonyms = [text(key) for key in values if key.startswith("persons-") and key.endswith("-pseudonym")]
    return {"facility": values.get("facility", ""), "facility_name": text("new_facility-name"),
            "date_start": text("date_start"), "date_end": text("date_end"),
            "date_precision": text("date_precision"), "incident": values.get("incident", ""),
            "title": {lang: text(f"title_{lang}") for lang in LANGUAGES},
            "narrative": {lang: text(f"narrative_{lang}") for lang in LANGUAGES}, "pseudonyms": pseudonyms[:50]}


# The fields the incident form asks of each file it sends ahead; the rest of an item's provenance
# is given on the item's page, as for a file attached there.
FILE_FIELDS = ("kind", "description", "graphic", "confidential")
MAX_FILES = 100  # more names than one form sends are nonsense, not files


def file_entries(values) -> list[tuple[str, dict]]:
    """The uploads the form lists (``uploads``, each a token) with what it says of each, as
    ``upload-<token>-<field>``: in order, each once."""
    tokens = list(dict.fromkeys(values.getlist("uploads")))[:MAX_FILES]
    return [(token, form_flags({name: values.get(f"upload-{token}-{name}", "") for name in FILE_FIELDS}))
            for token in tokens]


def place_file_errors(errors: dict, shown: set[str]) -> dict:
    """Errors of a file the form does not show (someone else's upload, an expired one) said above
    the form, where they can be read: beside a row that is not there, they would be lost."""
    for key in [key for key in errors if key.startswith("upload-")]:
        if not any(key.startswith(f"upload-{token}-") for token in shown):
            errors.setdefault("form", []).extend(errors.pop(key))
    return errors
