"""JSON endpoints of docs/api.md. Every rule is the services' and the policy's, as for the pages."""
from __future__ import annotations

from flask import Response, jsonify, request, stream_with_context, url_for
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from incidents import geo, i18n, policy, vocab, workflow
from incidents.api.blueprint import bp
from incidents.config import LANGUAGES
from incidents.duplicates import service as duplicates
from incidents.errors import BadRequest, Forbidden, NotFound, PossibleDuplicate, ValidationFailed
from incidents.exports import open_data
from incidents.models import Facility, PublishedIncident, utcnow
from incidents.records import service
from incidents.revisions import patched, snapshot
from incidents.search.facilities import matching_facilities, visible_facilities
from incidents.search.filters import parse_filters
from incidents.search.queries import search_published
from incidents.shape import WRITABLE
from incidents.views import actor, settings


def _language() -> str:
    asked = request.args.get("lang")
    return asked if asked in LANGUAGES else i18n.language()


def _json_body() -> dict:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise BadRequest(_l("Send a JSON object with Content-Type: application/json."))
    return body


def facility_json(facility: Facility, language: str) -> dict:
    return {
        "id": facility.id,
        "name": facility.name_in(language),
        "names": facility.names,
        "aliases": facility.aliases,
        "type": facility.type,
        "country": facility.country,
        "region": facility.region,
        "region_name": geo.region_name(facility.region, language) or None,
        "country_name": geo.country_name(facility.country, language),
        "original_language": facility.original_language,
        # The original's text, as before there were versions; every version beside it.
        "locality": facility.locality,
        "localities": facility.localities,
        "latitude": facility.latitude,
        "longitude": facility.longitude,
        "authority": facility.authority,
        "authorities": facility.authorities,
        "url": url_for("public.facility_detail", facility_id=facility.id, _external=True),
    }


def incident_json(incident_id: int, data: dict, *, status: str, version, language: str,
                  facility: Facility | None = None, url_prefix: str | None = None) -> dict:
    """One incident as docs/api.md reads it; lists pass ``facility`` when it is loaded already and
    ``url_prefix`` (see ``_incident_url_prefix``)."""
    facility = facility or Facility.get_by_id(data["facility"])
    body = {"id": incident_id, "status": status, "version": version}
    body.update({k: v for k, v in data.items() if k != "facility"})
    body["facility"] = {"id": facility.id, "name": facility.name_in(language)}
    body["url"] = f"{url_prefix or _incident_url_prefix()}{incident_id}"
    return body


def _incident_url_prefix() -> str:
    """An incident's address without its id: lists and exports build one url_for, not one per row."""
    return url_for("records.incident_detail", incident_id=0, _external=True)[:-1]


def _view_json(view, language: str) -> dict:
    if view.public:
        return incident_json(view.published.incident_id, view.data, status="published",
                             version=None, language=language)
    body = incident_json(view.incident.id, view.data, status=view.incident.status,
                         version=view.incident.version, language=language)
    body["verification"] = view.incident.verification
    body["actions"] = workflow.available_actions(actor(), view.incident)
    return body


# An item of the list is its public data: nothing else need be read (or decoded).
LIST_COLUMNS = (PublishedIncident.incident, PublishedIncident.facility, PublishedIncident.public_data)


@bp.route("/incidents", methods=["GET"])
def incident_list():
    """Published incidents with filters and facets; staff may list working copies by ``status``."""
    language = _language()
    filters = parse_filters(request.args)
    status = request.args.get("status")
    # Staff filtering by verification see working copies; everyone else, the published ones.
    if status or (filters.verification and policy.can_list_working_copies(actor())):
        return _working_copy_list(status, filters, language)
    page = search_published(filters, language, actor(), columns=LIST_COLUMNS)
    # An item names its facility: its names are all that is read.
    facilities = {f.id: f for f in Facility.select(Facility.id, Facility.names).where(
        Facility.id.in_({row.facility_id for row in page.items}))}
    prefix = _incident_url_prefix()
    items = [incident_json(row.incident_id, row.public_data, status="published", version=None,
                           language=language, facility=facilities[row.facility_id], url_prefix=prefix)
             for row in page.items]
    return jsonify({"items": items, "total": page.total, "page": page.page,
                    "per_page": page.per_page, "facets": page.facets})


def _working_copy_list(status: str, filters, language: str):
    items, total = service.working_copy_page(actor(), status, filters)
    return jsonify({"items": [incident_json(incident.id, data, status=incident.status, version=incident.version,
                                            language=language, facility=incident.facility)
                              for incident, data in items],
                    "total": total, "page": filters.page, "per_page": filters.per_page, "facets": {}})


@bp.route("/export/incidents.<any(csv, json):fmt>", methods=["GET"])
def export_incidents(fmt):
    """Published incidents under the list's filters, streamed; ``hxl=1`` adds HXL hashtags (CSV)."""
    filters = parse_filters(request.args)
    # The labels' language: one not offered would give labels in another without saying so.
    if request.args.get("lang", LANGUAGES[0]) not in LANGUAGES:
        raise ValidationFailed(_l("Please correct the filters."),
                               {"lang": [_l("Choose one of: %(languages)s.", languages=", ".join(LANGUAGES))]})
    language = _language()
    url_prefix = _incident_url_prefix()
    hxl = fmt == "csv" and request.args.get("hxl") == "1"
    if fmt == "csv":
        body = open_data.csv_lines(filters, url_prefix, language, hxl=hxl)
        mimetype = "text/csv"
    else:
        body = open_data.json_chunks(filters, url_prefix, language)
        mimetype = "application/json"
    response = Response(stream_with_context(body), mimetype=mimetype)
    # Named for what it holds and when, so that downloads of several days or kinds stand apart.
    name = f"incidents-{utcnow().date().isoformat()}{'.hxl' if hxl else ''}.{fmt}"
    response.headers["Content-Disposition"] = f"attachment; filename={name}"
    return response


@bp.route("/incidents/<int:incident_id>", methods=["GET"])
def incident_detail(incident_id):
    view = service.read_incident(actor(), incident_id,
                                 prefer_public=request.args.get("view") == "public")
    return jsonify(_view_json(view, _language()))



@bp.route("/incidents", methods=["POST"])
def incident_create():
    body = _json_body()
    data = {k: body.get(k) for k in WRITABLE}
    incident = service.create_incident(data, actor(), max_text=settings().MAX_TEXT_LENGTH)
    view = service.read_incident(actor(), incident.id)
    return jsonify(_view_json(view, _language())), 201


@bp.route("/incidents/<int:incident_id>", methods=["PATCH"])
def incident_update(incident_id):
    """Fields left out keep their values; ``version`` is the one last read (409 when stale)."""
    body = _json_body()
    view = service.read_incident(actor(), incident_id)
    if view.incident is None:
        raise Forbidden(_l("This incident cannot be edited by you in its current state."))
    unknown = set(body) - set(WRITABLE) - {"version", "id", "reference", "status", "url",
                                                  "actions"}
    if unknown:
        raise ValidationFailed(_l("Unknown fields."), {k: [_l("Unknown field.")] for k in sorted(unknown)[:20]})
    workflow.required_version(body.get("version"))  # before anything is read into the edit
    data = patched(snapshot(view.incident), body, WRITABLE)
    service.update_incident(incident_id, data, actor(), version=body["version"], max_text=settings().MAX_TEXT_LENGTH)
    return jsonify(_view_json(service.read_incident(actor(), incident_id), _language()))


@bp.route("/incidents/<int:incident_id>/transitions", methods=["POST"])
def incident_transition(incident_id):
    body = _json_body()
    action, comment = body.get("action"), body.get("comment") or ""
    if not isinstance(action, str) or not isinstance(comment, str):
        raise ValidationFailed(_l("Unknown action."), {"action": [_l("Unknown action.")]})
    # No default: an approval names the version the reviewer read (docs/api.md), or it is refused.
    moved = workflow.transition(incident_id, actor(), action, comment=comment, version=body.get("version"))
    duplicates.after_transition(moved)
    return jsonify(_view_json(service.read_incident(actor(), incident_id), _language()))


@bp.route("/incidents/<int:incident_id>/similar", methods=["GET"])
def incident_similar(incident_id):
    """Likely duplicates among the incidents the caller may read, best first (404 for anyone who may
    not read the working copy)."""
    with force_locale(_language()):
        return jsonify({"items": [match.as_json() for match in duplicates.similar_to(actor(), incident_id)]})


@bp.route("/facilities", methods=["GET"])
def facility_list():
    language = _language()
    items = matching_facilities(actor(), request.args.get("q", ""))[:200]
    return jsonify({"items": [facility_json(f, language) for f in items], "total": len(items)})


@bp.route("/facilities/<int:facility_id>", methods=["GET"])
def facility_detail(facility_id):
    facility = visible_facilities(actor()).where(Facility.id == facility_id).first()
    if facility is None:
        raise NotFound(_l("No such facility."))
    return jsonify(facility_json(facility, _language()))


@bp.route("/facilities", methods=["POST"])
def facility_create():
    body = _json_body()
    try:
        facility = service.create_facility(body, actor(), confirm_new=body.get("confirm_new") is True)
    except PossibleDuplicate as exc:
        # The matches go with the refusal, so that the caller can use one instead.
        language = _language()
        return jsonify({"error": {"code": exc.code, "message": str(exc.message), "fields": {},
                                  "matches": [facility_json(f, language) for f in exc.matches]}}), exc.status
    return jsonify(facility_json(facility, _language())), 201


@bp.route("/vocabularies/<name>", methods=["GET"])
def vocabulary(name):
    """Selectable terms; headings appear only as a term's ``parent``."""
    if name not in vocab.VOCABULARIES:
        raise NotFound(_l("No such vocabulary."))
    language = _language()
    items = [{"code": t.code, "label": t.label(language), "huridocs": t.huridocs, "parent": t.parent,
              "local": t.local}
             for t in vocab.all_terms(name) if t.selectable]
    return jsonify({"name": name, "items": items})
