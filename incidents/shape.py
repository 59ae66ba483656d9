"""The shape of an incident, declared once: its fields, a person's, a response's and an evidence link's.

Each ``Field`` says what kind of value it holds, its limits, whether it is required, who may see
it and how it is labelled. What used to repeat the field list is derived from here:

- the snapshot that every save keeps and the JSON API reads and writes (``revisions.py``);
- input cleaning for the pages and the API alike (``validation.clean_fields``, ``records/schema.py``,
  ``evidence/schema.py``);
- the form and its round trip to the snapshot (``records/forms.py``);
- the OpenAPI schema of an incident, its input and a response (``api/openapi.py``);
- the public form of an incident (``policy.redact_incident``) and the published copy's columns
  (``publication/projection.py``, ``audit.PROJECTED_COLUMNS``);
- what a dossier holds of an incident (``dossiers/assemble.py``);
- the field names of the history page (``vocab.FIELD_LABELS``).

Adding a field to an incident touches:

1. this declaration (a ``Field`` in ``INCIDENT``, with its label and, for the form, its prompt);
2. the model: a column on ``Incident`` in ``incidents/models/records.py`` (and on ``PublishedIncident``
   in ``incidents/models/published.py`` when ``published_column``, for the public lists to filter or
   sort on it);
3. a migration in ``incidents/migrations/`` adding that column;
4. the templates that show it: ``templates/records/incident.html`` (reading) and
   ``templates/records/incident_form.html`` (where in the form it goes); a dossier shows it where
   ``dossiers/layouts.py`` says;
5. translations: ``make extract`` and the three catalogues in ``translations/`` for its label.

The open-data columns (``publication/open_data_row.py``) are a published format with HXL tags:
a field joins them by a deliberate change there, not by being declared here.

Floor 6.8: below the policy and the vocabularies (which read it), above the models (whose fixed
lists it names). Vocabularies are named, not imported: a code field says which one it draws from.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from flask_babel import lazy_gettext as _l

from incidents.config import LANGUAGES
from incidents.models import CONSENTS, DATE_PRECISIONS, PERSON_ROLES, SEXES

MAX_SHORT = 300  # one line of text; models size their short columns for it
MAX_VICTIMS = 1_000_000

# Kinds of value. A field's kind decides how it is cleaned, stored in a snapshot, shown in the
# form and described in the OpenAPI document.
REFERENCE = "reference"  # text the system assigns, never written by a client
FACILITY = "facility"  # the id of a facility
PARTIAL_DATE = "partial_date"  # typed as 2020, 2020-03 or 15.03.2020; kept as an ISO date
DATE = "date"  # a day, a month or a year as precisely as known, in ISO 8601 ("2020-03"); 1900 until today
TEXT = "text"  # one text (``max_length``; line breaks only when ``multiline``)
TEXTS = "texts"  # a text per language
CHOICE = "choice"  # one of ``choices``, labelled by ``vocab.<labels>``
CODE = "code"  # one selectable code of the vocabulary ``vocabulary``
CODES = "codes"  # several codes of the vocabulary ``vocabulary``
COUNTRY = "country"  # an ISO 3166-1 alpha-2 code
INT = "int"  # a whole number from 0 to ``maximum``
BOOL = "bool"
URL = "url"  # an http or https link
ID = "id"  # the id of a row being edited; anything else adds a row
ROWS = "rows"  # a list of rows of the shape ``ROW_SHAPES[name]``, at most ``maximum``

NULLABLE = (REFERENCE, PARTIAL_DATE, DATE, CODE, INT)  # empty is None (when not required)


@dataclass(frozen=True)
class Field:
    name: str
    kind: str
    label: object = None  # lazy text: how pages name the field (and the form, without ``prompt``)
    prompt: object = None  # the form's question where it differs; a text per language for TEXTS
    required: bool = False
    # Public: shown to the public (a person's field: from the consent given, see ``consent``).
    public: bool = True
    # Never public, and hidden from readers who may not see identities; reading it filled in is audited.
    confidential: bool = False
    consent: str = ""  # a person's field: the least consent under which the public sees it
    named_only: bool = False  # a confidential dossier shows it only for a person named by consent
    choices: tuple = ()
    labels: str = ""  # the ``vocab`` mapping that labels ``choices``
    default: object = None
    # CHOICE without a default: the form's first, empty choice, meaning "not said; decide from the
    # rest" (the cleaning says how), so the form claims nothing on a witness's behalf.
    unstated: object = None
    vocabulary: str = ""
    max_length: int | None = MAX_SHORT  # None: ``MAX_TEXT_LENGTH`` of the settings
    multiline: bool = False
    area: bool | None = None  # the form gives it a text area; as ``multiline`` unless said
    maximum: int = MAX_VICTIMS  # INT; ROWS: how many rows
    missing: object = None  # TEXTS required: the message when the original language is missing
    description: str = ""  # for the OpenAPI document
    attribute: str = ""  # the model's attribute, when it is not ``name``
    column: bool = True  # a column of the model (codes are terms; rows are rows of their own)
    published_column: bool = False  # a column of ``PublishedIncident`` too
    writable: bool = True

    @property
    def source(self) -> str:
        return self.attribute or self.name

    @property
    def nullable(self) -> bool:
        return self.kind in NULLABLE and not self.required

    @property
    def text_area(self) -> bool:
        return self.multiline if self.area is None else self.area


def _id() -> Field:
    # A row's id is internal: in public it would count the confidential rows.
    return Field("id", ID, public=False, column=False)


def _confidential_flag() -> Field:
    return Field("confidential", BOOL, _l("Confidential: never shown to the public"), public=False)


PERSON = (
    _id(),
    # Asked, not assumed: a default of "victim" recorded a witness as tortured when nobody chose.
    Field("role", CHOICE, _l("Role"), choices=PERSON_ROLES, labels="PERSON_ROLE_LABELS", required=True,
          unstated=_l("— choose a role —"), consent="anonymised"),
    Field("pseudonym", TEXT, _l("Public pseudonym"), required=True, consent="anonymised"),
    Field("legal_name", TEXT, _l("Legal name (confidential)"), public=False, confidential=True, named_only=True),
    Field("contact", TEXT, _l("Contact (confidential)"), public=False, confidential=True, named_only=True,
          max_length=2000, multiline=True),
    Field("citizenship", COUNTRY, _l("Citizenship (confidential)"), public=False, confidential=True),
    Field("sex", CHOICE, _l("Sex"), choices=SEXES, labels="SEX_LABELS", default="unknown", consent="named"),
    Field("age", INT, _l("Age at the time"), maximum=120, consent="named"),
    Field("consent", CHOICE, _l("Consent to publication"), choices=CONSENTS, labels="CONSENT_LABELS",
          default="none", public=False, confidential=True),
)


def _translations(name: str, label, prompts: dict, **limits) -> Field:
    """A row's text in the languages other than its incident's original (``TRANSLATIONS_OF``): the
    text itself is the original. A snapshot holds it only when there is one."""
    return Field(f"{name}_translations", TEXTS, label, prompt=prompts,
                 description=f"{name} in the languages other than the incident's original", **limits)


RESPONSE = (
    _id(),
    Field("kind", CODE, _l("Kind"), required=True, vocabulary="responses",
          description="A code of /api/v1/vocabularies/responses"),
    Field("date", DATE, _l("When")),
    Field("body", TEXT, _l("Who acted"), description="Who acted, in the incident's original language"),
    Field("description", TEXT, _l("Details and outcome"), max_length=5000, multiline=True),
    _translations("body", _l("Who acted, in other languages"),
                  {"en": _l("Who acted, in English"), "ru": _l("Who acted, in Russian"),
                   "uk": _l("Who acted, in Ukrainian")}),
    _translations("description", _l("Details and outcome, in other languages"),
                  {"en": _l("Details and outcome, in English"), "ru": _l("Details and outcome, in Russian"),
                   "uk": _l("Details and outcome, in Ukrainian")}, max_length=5000, multiline=True),
    _confidential_flag(),
)

LINK = (
    _id(),
    Field("kind", CODE, _l("Kind"), required=True, vocabulary="evidence_kinds"),
    Field("url", URL, _l("Link (http or https)"), required=True),
    # Typed on one line in the form; the API may send line breaks.
    Field("description", TEXT, _l("Description"), max_length=2000, multiline=True, area=False),
    _translations("description", _l("Description in other languages"),
                  {"en": _l("Description in English"), "ru": _l("Description in Russian"),
                   "uk": _l("Description in Ukrainian")}, max_length=2000, multiline=True, area=False),
    _confidential_flag(),
)

# A row's translated texts: the field that holds the original, by the field of its translations.
TRANSLATIONS_OF = {field.name: field.name.removesuffix("_translations")
                   for field in RESPONSE + LINK if field.kind == TEXTS}

# An evidence entry with a preserved file: described and attached on its own pages, so these
# fields are only read (and redacted). A file keeps its id in public: previews are reached
# through it. Its original name, where it came from and who gave it are never public.
FILE = tuple(replace(field, public=True) if field.kind == ID else
             replace(field, public=False) if field.kind == URL else field for field in LINK) + (
    Field("sha256", REFERENCE, _l("SHA-256")), Field("size", INT, _l("Size")), Field("media_type", TEXT, _l("File type")),
    Field("filename", TEXT, _l("File name"), public=False), Field("graphic", BOOL, _l("Graphic content")),
)

ROW_SHAPES = {"persons": PERSON, "responses": RESPONSE, "evidence": LINK}
# The rows whose texts may have translations.
TRANSLATED_ROWS = tuple(name for name, fields in ROW_SHAPES.items() if any(field.kind == TEXTS for field in fields))

# In the order of the snapshot.
INCIDENT = (
    Field("reference", REFERENCE, _l("Reference"), writable=False, column=False),
    Field("facility", FACILITY, _l("Facility"), required=True, attribute="facility_id", published_column=True),
    Field("date_start", PARTIAL_DATE, _l("Start"), required=True, published_column=True),
    Field("date_end", PARTIAL_DATE, _l("End"), prompt=_l("End (optional)"), published_column=True),
    Field("date_precision", CHOICE, _l("Date precision"), prompt=_l("How precise is the date?"),
          choices=DATE_PRECISIONS, labels="DATE_PRECISION_LABELS", published_column=True,
          # A default of "day" claimed a precise day nobody gave: the date as typed says how precise it is.
          unstated=_l("As the date is written")),
    Field("original_language", CHOICE, _l("Original language"),
          prompt=_l("Language the account was first written in"), choices=LANGUAGES, labels="LANGUAGE_NAMES",
          default="en", published_column=True),
    Field("title", TEXTS, _l("Title"), required=True, published_column=True,
          prompt={"en": _l("Title in English"), "ru": _l("Title in Russian"), "uk": _l("Title in Ukrainian")},
          missing=_l("A title in the original language is required.")),
    Field("narrative", TEXTS, _l("What happened"), required=True, max_length=None, multiline=True,
          published_column=True,
          prompt={"en": _l("What happened, in English"), "ru": _l("What happened, in Russian"),
                  "uk": _l("What happened, in Ukrainian")},
          missing=_l("A narrative in the original language is required.")),
    Field("abuse", CODES, _l("What was done"), required=True, vocabulary="abuse", column=False),
    Field("perpetrators", CODES, _l("Alleged perpetrators"), prompt=_l("Who did it"), vocabulary="perpetrators",
          column=False),
    Field("victims_count", INT, _l("Number of victims"), published_column=True),
    Field("violation_status", CODE, _l("Violation status"),
          prompt=_l("How certain is it that this was a violation?"), vocabulary="violation_status",
          published_column=True),
    Field("graphic", BOOL, _l("Graphic content"), prompt=_l("The record describes or shows graphic violence"),
          published_column=True),
    Field("persons", ROWS, _l("People involved"), maximum=200, column=False),
    Field("responses", ROWS, _l("What happened after"), maximum=200, column=False),
    Field("evidence", ROWS, _l("Evidence"), maximum=500, column=False),
)

WRITABLE = tuple(field.name for field in INCIDENT if field.writable)
COLUMNS = tuple(field for field in INCIDENT if field.column)
TERM_FIELDS = tuple(field for field in INCIDENT if field.kind == CODES)


def public_names(fields) -> tuple[str, ...]:
    return tuple(field.name for field in fields if field.public)


def public_person_fields(consent: str) -> tuple[str, ...]:
    """What the public sees of a person who gave ``consent``: nothing without it."""
    rank = CONSENTS.index(consent)
    return tuple(field.name for field in PERSON if field.consent and 0 < CONSENTS.index(field.consent) <= rank)
