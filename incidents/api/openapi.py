"""The OpenAPI 3 description of /api/v1, served at /api/v1/openapi.json."""
from __future__ import annotations

from flask import jsonify

from incidents import shape
from incidents.api import evidence, uploads
from incidents.api.blueprint import bp
from incidents.api.openapi_parts import ERROR, ITEM, answers, path_id, query
from incidents.config import LANGUAGES
from incidents.models import (
    ACQUISITIONS,
    NOTIFICATION_KINDS,
    STATUSES,
    VERIFICATION_STATUSES,
)
from incidents.vocab import VOCABULARIES

TEXTS = {"type": "object", "additionalProperties": {"type": "string"},
         "description": "Language code (en, ru, uk) to text."}
LANGUAGE = {"type": "string", "enum": list(LANGUAGES), "description": "The language of the original texts"}
# Rows with a schema of their own in the document; the others are described as objects.
ROW_SCHEMAS = {"responses": {"$ref": "#/components/schemas/IncidentResponse"},
               "evidence": {"$ref": "#/components/schemas/IncidentLink"}}
# As the document has always said it: a language in what is read, one of the list in what is sent.
READ_AS_TEXT = {"original_language"}
KNOWN_DATE = r"^\d{4}(-\d{2}(-\d{2})?)?$"  # 2020, 2020-03 or 2020-03-15


def _property(field: shape.Field, writing: bool) -> dict:
    """A declared field (``shape.py``) as the JSON API reads it (``writing``) or answers it."""
    kind = field.kind
    if kind == shape.FACILITY:
        return {"type": "integer"} if writing else {
            "type": "object", "properties": {"id": {"type": "integer"}, "name": {"type": "string"}}}
    if kind == shape.TEXTS:
        if not field.description:
            return TEXTS
        # A row's translations: each as long as its original may be, never in the original's language.
        return {**TEXTS, "additionalProperties": {"type": "string", "maxLength": field.max_length},
                "description": f"{TEXTS['description']} The {field.description}; a text in that language "
                               "is refused (422)."}
    if kind == shape.CODES:
        return {"type": "array", "items": {"type": "string"}}
    if kind == shape.ROWS:
        return {"type": "array", "items": ROW_SCHEMAS.get(field.name, {"type": "object"})}
    schema = {"type": {shape.INT: "integer", shape.ID: "integer", shape.BOOL: "boolean"}.get(kind, "string")}
    # A partial date is sent as typed (2020, 2020-03) and answered as the ISO date it begins with; a
    # date of a response is ISO 8601 as precisely as it is known, both ways ("2020", "2020-03").
    if kind == shape.PARTIAL_DATE and not writing:
        schema["format"] = "date"
    if kind == shape.DATE:
        schema["pattern"] = KNOWN_DATE
    if kind == shape.CHOICE and (writing or field.name not in READ_AS_TEXT):
        schema["enum"] = list(field.choices)
    if kind == shape.TEXT:
        schema["maxLength"] = field.max_length
    if field.nullable:
        schema["nullable"] = True
    if kind == shape.INT and writing:
        schema["minimum"] = 0
    if field.description:
        schema["description"] = field.description
    return schema


def _properties(fields, writing: bool) -> dict:
    return {field.name: _property(field, writing) for field in fields if field.writable or not writing}


def _required(fields) -> list[str]:
    return [field.name for field in fields if field.required and field.writable]


def _row_schema(fields, description: str) -> dict:
    """A row of an incident (a response, a link) as it is sent."""
    return {"type": "object", "required": _required(fields), "description": description,
            "properties": _properties(fields, writing=True)}


FILTERS = [
    query("facility", {"type": "integer", "minimum": 1}, "Facility id", repeat=True),
    query("country", {"type": "string", "pattern": "^[A-Za-z]{2}$"}, "ISO 3166-1 alpha-2"),
    query("region", {"type": "string", "maxLength": 10}, "ISO 3166-2"),
    query("abuse", {"type": "string", "maxLength": 40}, "Abuse vocabulary code", repeat=True),
    query("perpetrator", {"type": "string", "maxLength": 40}, "Perpetrator vocabulary code", repeat=True),
    query("verification", {"type": "string", "enum": list(VERIFICATION_STATUSES)}, "Verification status"),
    query("date_from", {"type": "string", "maxLength": 20},
           "A day, a month or a year (2020-03-15, 15.03.2020, 2020-03, 03.2020, 2020): from its first day."),
    query("date_to", {"type": "string", "maxLength": 20},
           "A day, a month or a year, as date_from: up to its last day (2020 takes in all of 2020)."),
    query("q", {"type": "string", "maxLength": 200}, "Words in any script"),
    query("lang", {"type": "string", "enum": ["en", "ru", "uk"]}),
    query("page", {"type": "integer", "minimum": 1, "maximum": 100000}),
    query("per_page", {"type": "integer", "minimum": 1, "maximum": 200}),
    query("sort", {"type": "string", "enum": ["date", "-date"]}),
]

DOSSIER_QUERY = [query("lang", {"type": "string", "enum": ["en", "ru", "uk"]}),
                 query("redaction", {"type": "string", "enum": ["public", "confidential"]}),
                 query("layout", {"type": "string", "enum": ["dossier", "un_srt", "echr", "cpt"]})]


def _file(media_type: str, *errors: str) -> dict:
    answers = {"200": {"description": "The file, as an attachment",
                       "content": {media_type: {"schema": {"type": "string", "format": "binary"}}}}}
    for code in errors:
        answers[code] = {"description": "Refused", "content": {"application/json": {"schema": ERROR}}}
    return answers


# An incident's likely duplicates: each with its score (0 to 1) and why, in reasons a reader may read.
SIMILAR = {"type": "object", "required": ["items"], "properties": {"items": {"type": "array", "items": {
    "type": "object", "required": ["id", "reference", "score", "reasons"], "properties": {
        "id": {"type": "integer"}, "reference": {"type": "string"},
        "score": {"type": "number", "minimum": 0, "maximum": 1},
        "reasons": {"type": "array", "items": {"type": "object", "required": ["code", "label"], "properties": {
            "code": {"type": "string", "enum": ["same_facility", "facility_alike", "dates_overlap", "dates_near",
                                               "title_alike", "narrative_alike", "people_alike"]},
            "label": {"type": "string"}}}}}}}}}


# A likely duplicate facility: the error, and the facilities it may be.
POSSIBLE_DUPLICATE = {"description": "possible_duplicate: a facility has a name or alias like it", "content": {
    "application/json": {"schema": {"type": "object", "required": ["error"], "properties": {"error": {
        "type": "object", "required": ["code", "message", "matches"],
        "properties": {"code": {"type": "string", "enum": ["possible_duplicate"]}, "message": {"type": "string"},
                       "fields": {"type": "object"},
                       "matches": {"type": "array", "items": {"$ref": "#/components/schemas/Facility"}}}}}}}}}

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

SPEC = {
    "openapi": "3.0.3",
    "info": {"title": "Detention Abuse Register API", "version": "1",
             "description": "Published incidents for everyone; working copies, evidence provenance "
                            "and custody for staff with a bearer token."},
    "servers": [{"url": "/"}],
    "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        "schemas": {
            "Error": {"type": "object", "required": ["error"], "properties": {"error": {
                "type": "object", "required": ["code", "message"],
                "properties": {"code": {"type": "string"}, "message": {"type": "string"},
                               "fields": {"type": "object",
                                          "additionalProperties": {"type": "array", "items": {"type": "string"}}}}}}},
            "Incident": {"type": "object", "required": ["id", "status", "facility", "date_start", "title"],
                         "properties": {
                             "id": {"type": "integer"},
                             "status": {"type": "string", "enum": list(STATUSES)},
                             "version": {"type": "integer", "nullable": True},
                             **_properties(shape.INCIDENT, writing=False),
                             "url": {"type": "string"}}},
            "IncidentInput": {"type": "object", "required": _required(shape.INCIDENT),
                              "properties": {
                                  **_properties(shape.INCIDENT, writing=True),
                                  "version": {"type": "integer", "description": "Required for PATCH"}}},
            "IncidentResponse": _row_schema(
                shape.RESPONSE, "What happened after (HURIDOCS ESF Intervention). The public sees kind, date, "
                                "body and description and their translations of the responses not marked "
                                "confidential; staff see all, with id and confidential. Send the id back to "
                                "keep a response when editing."),
            "IncidentLink": _row_schema(
                shape.LINK, "An evidence entry. Sent: links only, the id sent back to keep one. Read: files "
                            "too, each with sha256, size, media_type and graphic (attached and described "
                            "with POST /incidents/{incident_id}/evidence). The public sees neither "
                            "confidential entries nor the ids of links."),
            "Facility": {"type": "object", "required": ["id", "name"],
                         "properties": {"id": {"type": "integer"}, "name": {"type": "string"},
                                        "names": TEXTS, "aliases": {"type": "array", "items": {"type": "string"}},
                                        "type": {"type": "string"}, "country": {"type": "string"},
                                        "region": {"type": "string", "nullable": True},
                                        "region_name": {"type": "string", "nullable": True},
                                        "country_name": {"type": "string"},
                                        "original_language": LANGUAGE, "locality": {"type": "string"},
                                        "localities": TEXTS, "authority": {"type": "string"},
                                        "authorities": TEXTS}},
            "FacilityInput": {"type": "object", "required": ["names", "type", "country"],
                              "properties": {"names": TEXTS, "aliases": {"type": "array", "items": {"type": "string"}},
                                             "type": {"type": "string"}, "country": {"type": "string"},
                                             "region": {"type": "string", "nullable": True},
                                             "original_language": LANGUAGE,
                                             "locality": {"type": "string",
                                                          "description": "In the original language"},
                                             "localities": TEXTS,
                                             "authority": {"type": "string",
                                                           "description": "In the original language"},
                                             "authorities": TEXTS,
                                             "latitude": {"type": "number", "nullable": True},
                                             "longitude": {"type": "number", "nullable": True},
                                             "confirm_new": {"type": "boolean", "default": False,
                                                             "description": "Create it even if a facility "
                                                                            "has a name or alias like it"}}},
            "Facet": {"type": "object", "properties": {"value": {}, "label": {"type": "string"},
                                                       "count": {"type": "integer"}}},
            "EvidenceItem": {"type": "object", "required": ["id", "kind"],
                             "properties": {"id": {"type": "integer"}, "kind": {"type": "string"},
                                            "sha256": {"type": "string"}, "size": {"type": "integer"},
                                            "media_type": {"type": "string"},
                                            "verification": {"type": "string", "enum": list(VERIFICATION_STATUSES),
                                                             "description": "Staff: the working status; "
                                                             "others: the one a second reviewer confirmed"},
                                            "confirmed_verification": {
                                                "type": "string", "enum": list(VERIFICATION_STATUSES),
                                                "description": "Staff only: what the public sees"},
                                            "awaits_confirmation": {"type": "boolean",
                                                                    "description": "Staff only"},
                                            "url": {"type": "string", "nullable": True},
                                            "description": {"type": "string",
                                                            "description": "In the incident's original language"},
                                            "descriptions": TEXTS,
                                            "original_language": {**LANGUAGE, "nullable": True}}},
        },
    },
    "security": [{}, {"bearer": []}],
}

LIST = {"type": "object", "required": ["items", "total"],
        "properties": {"items": {"type": "array", "items": {"$ref": "#/components/schemas/Incident"}},
                       "total": {"type": "integer"}, "page": {"type": "integer"},
                       "per_page": {"type": "integer"},
                       "facets": {"type": "object", "additionalProperties": {
                           "type": "array", "items": {"$ref": "#/components/schemas/Facet"}}}}}
INCIDENT = {"$ref": "#/components/schemas/Incident"}
COMMENT = {"type": "object", "required": ["id", "body"], "properties": {
    "id": {"type": "integer"}, "parent": {"type": "integer", "nullable": True}, "author": {"type": "string"},
    "author_id": {"type": "integer"}, "body": {"type": "string"},
    "review_action": {"type": "string", "nullable": True, "enum": ["submit", "approve", "request_changes", "reject",
                                                                   "retract", None]},
    "created_at": {"type": "string", "format": "date-time"}}}
REFERENCE = {"type": "object", "properties": {"id": {"type": "integer"}, "reference": {"type": "string"}}}
NOTIFICATION = {"type": "object", "required": ["id", "kind", "incident", "read"], "properties": {
    "id": {"type": "integer"}, "kind": {"type": "string", "enum": list(NOTIFICATION_KINDS)},
    "text": {"type": "string"}, "incident": REFERENCE, "other": {**REFERENCE, "nullable": True},
    "read": {"type": "boolean"}, "created_at": {"type": "string", "format": "date-time"},
    "url": {"type": "string"}}}
UNREAD = {"type": "object", "required": ["unread"], "properties": {"unread": {"type": "integer"}}}

SPEC["paths"] = {
    "/api/v1/incidents": {
        "get": {"summary": "Published incidents (staff: working copies with status)",
                "parameters": FILTERS + [query("facets", {"type": "string", "maxLength": 100},
                                                "Facets to count, comma-separated: facility, region, abuse, "
                                                "perpetrator, country, year, verification. Empty for none; "
                                                "all when absent."),
                                         query("status", {"type": "string", "enum": list(STATUSES)})],
                "responses": answers(LIST, "200", "401", "403", "422")},
        "post": {"summary": "Create a draft", "requestBody": {"required": True, "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/IncidentInput"}}}},
                 "responses": answers(INCIDENT, "201", "400", "401", "403", "413", "422")}},
    "/api/v1/incidents/{incident_id}": {
        "parameters": [path_id("incident_id")],
        "get": {"summary": "One incident", "parameters": [query("lang", {"type": "string", "enum": ["en", "ru", "uk"]})],
                "responses": answers(INCIDENT, "200", "404")},
        "patch": {"summary": "Change fields; send the version last read", "requestBody": {"required": True, "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/IncidentInput"}}}},
                  "responses": answers(INCIDENT, "200", "400", "401", "403", "404", "409", "413", "422")}},
    "/api/v1/incidents/{incident_id}/transitions": {
        "parameters": [path_id("incident_id")],
        "post": {"summary": "Move through the review workflow", "requestBody": {"required": True, "content": {
            "application/json": {"schema": {"type": "object", "required": ["action", "version"], "properties": {
                "action": {"type": "string", "enum": ["submit", "approve", "request_changes", "reject", "retract"]},
                "comment": {"type": "string"},
                "version": {"type": "integer", "description": "The version last read (409 when stale)"}}}}}},
                 "responses": answers(INCIDENT, "200", "400", "401", "403", "404", "409", "422")}},
    "/api/v1/incidents/{incident_id}/similar": {
        "parameters": [path_id("incident_id")],
        "get": {"summary": "Likely duplicates among the incidents the caller may read, best first (staff "
                           "who may read the incident)", "parameters": [query("lang", {"type": "string", "enum": ["en", "ru", "uk"]})],
                "responses": answers(SIMILAR, "200", "401", "404")}},
    "/api/v1/incidents/{incident_id}/comments": {
        "parameters": [path_id("incident_id")],
        "get": {"summary": "The conversation on an incident, oldest first (its author, reviewers and admins)",
                "responses": answers({"type": "object", "required": ["items"], "properties": {
                    "items": {"type": "array", "items": COMMENT}}}, "200", "401", "404")},
        "post": {"summary": "A comment, or an answer to one (parent)", "requestBody": {"required": True, "content": {
            "application/json": {"schema": {"type": "object", "required": ["body"], "properties": {
                "body": {"type": "string", "maxLength": 5000}, "parent": {"type": "integer", "nullable": True}}}}}},
                 "responses": answers(COMMENT, "201", "400", "401", "404", "413", "422")}},
    "/api/v1/notifications": {
        "get": {"summary": "The caller's notifications, newest first, and how many are unread",
                "responses": answers({"type": "object", "required": ["items", "unread"], "properties": {
                    "items": {"type": "array", "items": NOTIFICATION}, "unread": {"type": "integer"}}},
                    "200", "401")}},
    "/api/v1/notifications/{notification_id}/read": {
        "parameters": [path_id("notification_id")],
        "post": {"summary": "Mark one notification read", "responses": answers(UNREAD, "200", "401", "404")}},
    "/api/v1/notifications/read": {
        "post": {"summary": "Mark every notification of the caller read", "responses": answers(UNREAD, "200", "401")}},
    "/api/v1/incidents/{incident_id}/evidence": {
        "parameters": [path_id("incident_id")],
        "post": {"summary": "Attach a link or a finished resumable upload (JSON: url or upload), or a file "
                            "(multipart field 'file')", "requestBody": {
            "required": True, "content": {
                "application/json": {"schema": {"type": "object", "required": ["kind"], "properties": {
                    "kind": {"type": "string"}, "url": {"type": "string", "description": "A link"},
                    "upload": {"type": "string", "description": "A finished upload's URL, as Location gave it"},
                    "description": {"type": "string"},
                    "description_translations": {**TEXTS, "description": "The description in the other languages"},
                    "acquisition": {"type": "string", "enum": list(ACQUISITIONS)}}}},
                "multipart/form-data": {"schema": {"type": "object", "required": ["file", "kind"], "properties": {
                    "file": {"type": "string", "format": "binary"}, "kind": {"type": "string"},
                    "description": {"type": "string"}}}}}},
                 "responses": answers(ITEM, "201", "400", "401", "403", "404", "409", "413", "422")}},
    **uploads.openapi_paths(ERROR),
    **evidence.openapi_paths(),
    "/api/v1/facilities": {
        "get": {"summary": "Facilities (names in any script with q)",
                "parameters": [query("q", {"type": "string", "maxLength": 200}),
                               query("lang", {"type": "string", "enum": ["en", "ru", "uk"]})],
                "responses": answers({"type": "object", "properties": {"items": {
                    "type": "array", "items": {"$ref": "#/components/schemas/Facility"}}}}, "200")},
        "post": {"summary": "Create a facility", "requestBody": {"required": True, "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/FacilityInput"}}}},
                 "responses": {**answers({"$ref": "#/components/schemas/Facility"}, "201", "400", "401", "403", "422"),
                               "409": POSSIBLE_DUPLICATE}}},
    "/api/v1/facilities/{facility_id}": {
        "parameters": [path_id("facility_id")],
        "get": {"summary": "One facility", "responses": answers({"$ref": "#/components/schemas/Facility"}, "200", "404")}},
    "/api/v1/vocabularies/{name}": {
        "parameters": [{"name": "name", "in": "path", "required": True,
                        "schema": {"type": "string", "enum": list(VOCABULARIES)}}],
        "get": {"summary": "Selectable terms of a vocabulary", "responses": answers({
            "type": "object", "properties": {"items": {"type": "array", "items": {"type": "object", "properties": {
                "code": {"type": "string"}, "label": {"type": "string"}, "huridocs": {"type": "string", "nullable": True},
                "parent": {"type": "string", "nullable": True}}}}}}, "200", "404")}},
    "/api/v1/export/incidents.csv": {
        "get": {"summary": "Published incidents as CSV (hxl=1 adds HXL hashtags)",
                "parameters": FILTERS + [query("hxl", {"type": "string", "enum": ["0", "1"]})],
                "responses": {"200": {"description": "CSV", "content": {"text/csv": {"schema": {"type": "string"}}}},
                              "401": {"description": "Sign in", "content": {"application/json": {"schema": ERROR}}},
                              "422": {"description": "Bad filter", "content": {"application/json": {"schema": ERROR}}}}}},
    "/api/v1/incidents/{incident_id}/dossier.pdf": {
        "parameters": [path_id("incident_id")],
        "get": {"summary": "One incident's dossier as PDF (researchers and staff; public redaction unless asked)",
                "parameters": DOSSIER_QUERY, "responses": _file("application/pdf", "401", "403", "422")}},
    "/api/v1/incidents/{incident_id}/dossier.docx": {
        "parameters": [path_id("incident_id")],
        "get": {"summary": "One incident's dossier as editable DOCX", "parameters": DOSSIER_QUERY,
                "responses": _file(DOCX, "401", "403", "422")}},
    "/api/v1/dossiers": {
        "post": {"summary": "A dossier of several incidents: a signed ZIP bundle, or a PDF or DOCX with 'format'",
                 "requestBody": {"required": True, "content": {"application/json": {"schema": {
                     "type": "object", "required": ["incident_ids"], "properties": {
                         "incident_ids": {"type": "array", "minItems": 1, "maxItems": 200,
                                          "items": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}},
                         "redaction": {"type": "string", "enum": ["public", "confidential"]},
                         "lang": {"type": "string", "enum": ["en", "ru", "uk"]},
                         "layout": {"type": "string", "enum": ["dossier", "un_srt", "echr", "cpt"]},
                         "format": {"type": "string", "enum": ["zip", "pdf", "docx"]},
                         "include_files": {"type": "boolean",
                                           "description": "Put the original evidence files in the bundle"}}}}}},
                 "responses": {**_file("application/zip", "400", "401", "403", "422"),
                               "200": {"description": "The bundle (or the PDF or DOCX asked for)", "content": {
                                   "application/zip": {"schema": {"type": "string", "format": "binary"}},
                                   "application/pdf": {"schema": {"type": "string", "format": "binary"}},
                                   DOCX: {"schema": {"type": "string", "format": "binary"}}}}}}},
    "/api/v1/signing-key": {
        "get": {"summary": "The Ed25519 public key that signs dossier bundles (format=pem for a PEM file)",
                "parameters": [query("format", {"type": "string", "enum": ["json", "pem"]})],
                "responses": {"200": {"description": "The key", "content": {
                    "application/json": {"schema": {"type": "object", "properties": {
                        "algorithm": {"type": "string"}, "public_key": {"type": "string"},
                        "pem": {"type": "string"}, "fingerprint": {"type": "string"},
                        "verifier_sha256": {"type": "string"}, "timestamp_verifier_sha256": {"type": "string"}}}},
                    "application/x-pem-file": {"schema": {"type": "string"}}}}}}},
    "/api/v1/content-credentials": {
        "get": {"summary": "The root certificate of the C2PA manifests signed into public copies "
                           "(a trust anchor for C2PA tools; format=pem for a PEM file)",
                "parameters": [query("format", {"type": "string", "enum": ["json", "pem"]})],
                "responses": {"200": {"description": "The certificate", "content": {
                    "application/json": {"schema": {"type": "object", "properties": {
                        "certificate": {"type": "string"}, "fingerprint": {"type": "string"},
                        "algorithm": {"type": "string"}}}},
                    "application/x-pem-file": {"schema": {"type": "string"}}}}}}},
    "/api/v1/export/incidents.json": {
        "get": {"summary": "Published incidents as a JSON array", "parameters": FILTERS,
                "responses": answers({"type": "array", "items": {"type": "object"}}, "200", "401", "422")}},
}


@bp.route("/openapi.json", methods=["GET"])
def openapi():
    return jsonify(SPEC)
