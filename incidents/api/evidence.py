"""JSON endpoints for evidence: attach a link or a file, read an item, read its custody log."""
from __future__ import annotations

from flask import jsonify, request, url_for
from flask_babel import lazy_gettext as _l

from incidents import i18n, vocab
from incidents.api.blueprint import bp
from incidents.api.openapi_parts import ITEM, LISTED, answers, path_id
from incidents.api.uploads import token_of
from incidents.errors import BadRequest
from incidents.evidence import redaction, service, verification, withdrawal
from incidents.evidence.schema import form_flags
from incidents.evidence.store import EvidenceStore
from incidents.models import (
    ASSESSMENT_OUTCOMES,
    ASSESSMENT_PARTS,
    REDACTION_DECISIONS,
    VERIFICATION_STATUSES,
    Assessment,
)
from incidents.uploads import service as uploads
from incidents.verification_status import awaits_confirmation
from incidents.views import actor, settings


def _original_language(view: service.ItemView) -> str | None:
    """None for an ingested item attached to no incident: its description has no language yet."""
    return view.incident.original_language if view.incident else None


def item_json(view: service.ItemView) -> dict:
    item = view.item
    body = {
        "id": item.id,
        "incident": item.incident_id,
        "kind": item.kind,
        "kind_huridocs": getattr(vocab.get("evidence_kinds", item.kind), "huridocs", None),
        "description": item.description,
        # Every version, as an incident's title: the original is in its incident's original language.
        "descriptions": i18n.with_original(item.description, _original_language(view), item.description_translations)
        if view.incident else {},
        "original_language": _original_language(view),
        "url": item.url or None,
        "graphic": item.graphic,
        # The public sees the status a second reviewer confirmed; staff the working one as well.
        "verification": item.verification if view.staff else item.confirmed_verification,
        "url_page": url_for("evidence.item", item_id=item.id, _external=True),
    }
    if item.stored_file_id:
        body.update(sha256=item.stored_file_id, size=item.stored_file.size,
                    media_type=item.stored_file.media_type)
    if view.staff:
        body.update(
            filename=item.original_filename, confidential=item.confidential, source=item.source,
            acquisition=item.acquisition, originality=item.originality,
            received_on=item.received_on,
            original_location=item.original_location, captured_place=item.captured_place,
            captured_on=item.captured_on,
            created_at=item.created_at.isoformat() + "Z",
            confirmed_verification=item.confirmed_verification,
            confirmed_by=item.confirmed_by.email if item.confirmed_by_id else None,
            confirmed_at=item.confirmed_at.isoformat() + "Z" if item.confirmed_at else None,
            awaits_confirmation=awaits_confirmation(item),
            assessments=[{"part": a.part, "method": a.method, "outcome": a.outcome, "note": a.note,
                          "assessor": a.assessor.email, "at": a.created_at.isoformat() + "Z"}
                         for a in item.assessments.order_by(Assessment.id)])
    return body


@bp.route("/incidents/<int:incident_id>/evidence", methods=["POST"])
def evidence_create(incident_id):
    """A link as JSON, a finished resumable upload as JSON ``{"upload": URL}``, or a file as
    multipart (field ``file``), each with ``kind`` and more beside it.

    Answers 201 with the item and its ``sha256``, also when the same bytes were stored before.
    """
    if request.mimetype == "multipart/form-data":
        upload = request.files.get("file")
        if upload is None:
            raise BadRequest(_l("Send the file in the multipart field 'file'."))
        data = form_flags(request.form.to_dict())
        item = service.attach_file(incident_id, actor(), EvidenceStore.from_settings(settings()),
                                   upload.stream, upload.filename, data)
    else:
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            raise BadRequest(_l("Send a JSON object with Content-Type: application/json."))
        if "upload" in body:  # a finished resumable upload, by the URL its creation gave
            item = uploads.attach(actor(), EvidenceStore.from_settings(settings()), token_of(body["upload"]),
                                  incident_id, body)
        else:
            item = service.attach_link(incident_id, actor(), body)
    return jsonify(item_json(service.read_item(actor(), item.id))), 201


@bp.route("/evidence/<int:item_id>", methods=["GET"])
def evidence_detail(item_id):
    return jsonify(item_json(service.read_provenance(actor(), item_id)))


@bp.route("/evidence/<int:item_id>/assessments", methods=["POST"])
def evidence_assess(item_id):
    """Record a verification assessment: ``part``, ``method``, ``outcome``, optional ``note``."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise BadRequest(_l("Send a JSON object with Content-Type: application/json."))
    verification.record_assessment(actor(), item_id, body)
    return jsonify(item_json(service.read_item(actor(), item_id))), 201


@bp.route("/evidence/<int:item_id>/verification/confirm", methods=["POST"])
def evidence_confirm_verification(item_id):
    """Make the working verification status public, as a second reviewer: ``status`` is the
    working status the client read (409 if it changed since)."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise BadRequest(_l("Send a JSON object with Content-Type: application/json."))
    verification.confirm(actor(), item_id, body)
    return jsonify(item_json(service.read_item(actor(), item_id)))


@bp.route("/evidence/<int:item_id>/withdraw", methods=["POST"])
def evidence_withdraw(item_id):
    """Take an item attached by mistake off its incident, before publication: ``reason`` required."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise BadRequest(_l("Send a JSON object with Content-Type: application/json."))
    item = withdrawal.withdraw(actor(), item_id, body.get("reason"))
    # As the withdrawer read it a moment ago: off the incident, only archive handlers read it now.
    return jsonify(item_json(service.ItemView(item, None, staff=True)))


@bp.route("/evidence/<int:item_id>/similar", methods=["GET"])
def evidence_similar(item_id):
    """Likely copies of the item (perceptual fingerprints) among the items the caller may read."""
    return jsonify({"items": service.similar_items(actor(), service.read_item(actor(), item_id))})


@bp.route("/evidence/<int:item_id>/redaction", methods=["GET"])
def evidence_redaction(item_id):
    """What the public's copy of a picture or video hides: the detector's proposal, the decision (staff)."""
    return jsonify(redaction.state(service.read_item(actor(), item_id)))


@bp.route("/evidence/<int:item_id>/redaction", methods=["POST"])
def evidence_redaction_decide(item_id):
    """A reviewer's decision: ``redact`` with boxes, or ``publish_unredacted`` with a reason."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise BadRequest(_l("Send a JSON object with Content-Type: application/json."))
    redaction.decide(actor(), item_id, body)
    return jsonify(redaction.state(service.read_item(actor(), item_id)))


@bp.route("/evidence/<int:item_id>/custody", methods=["GET"])
def evidence_custody(item_id):
    """The item's chain of custody, oldest first (staff who may see the item's provenance)."""
    events = service.custody_log(service.read_provenance(actor(), item_id))
    return jsonify({"items": [
        {"action": e.action, "at": e.created_at.isoformat() + "Z", "sha256": e.sha256,
         "actor": e.actor.email if e.actor_id else None, "detail": e.detail}
        for e in events]})


BOX = {"type": "object", "required": ["x", "y", "w", "h"], "properties": {
    **{key: {"type": "integer", "minimum": 0} for key in ("x", "y", "w", "h")},
    "start": {"type": "number", "minimum": 0, "description": "Seconds (video only)"},
    "end": {"type": "number", "minimum": 0, "description": "Seconds (video only)"},
    "track": {"type": "integer", "description": "The face it follows, as the detector numbered them"}}}


def openapi_paths() -> dict:
    """These endpoints in the OpenAPI document (``openapi.py``)."""
    return {
        "/api/v1/evidence/{item_id}": {
            "parameters": [path_id("item_id")],
            "get": {"summary": "One evidence item", "responses": answers(ITEM, "200", "404")}},
        "/api/v1/evidence/{item_id}/custody": {
            "parameters": [path_id("item_id")],
            "get": {"summary": "Chain of custody (staff)", "responses": answers(LISTED, "200", "401", "404")}},
        "/api/v1/evidence/{item_id}/similar": {
            "parameters": [path_id("item_id")],
            "get": {"summary": "Likely copies of the item (perceptual fingerprints) among the items the caller "
                               "may read: items of {id, score, offset_seconds}", "responses": answers(LISTED, "200", "404")}},
        "/api/v1/evidence/{item_id}/redaction": {
            "parameters": [path_id("item_id")],
            "get": {"summary": "What the public's copy of a picture or video hides (staff): status (not_needed, "
                               "detecting, proposed, decided), the detector's proposed boxes and the approved ones, "
                               "in pixels of the original (seconds in a video)", "responses": answers(ITEM, "200", "401", "404")},
            "post": {"summary": "Decide what the public's copy hides (a reviewer, not the item's uploader); publication "
                                "waits for it", "requestBody": {"required": True, "content": {
                "application/json": {"schema": {"type": "object", "required": ["decision"], "properties": {
                    "decision": {"type": "string", "enum": list(REDACTION_DECISIONS)},
                    "boxes": {"type": "array", "maxItems": redaction.MAX_BOXES, "items": BOX},
                    "reason": {"type": "string", "maxLength": redaction.MAX_REASON,
                               "description": "Required to publish unredacted"}}}}}},
                     "responses": answers(ITEM, "200", "400", "401", "403", "404", "422")}},
        "/api/v1/evidence/{item_id}/assessments": {
            "parameters": [path_id("item_id")],
            "post": {"summary": "Record a verification assessment (reviewers)", "requestBody": {"required": True, "content": {
                "application/json": {"schema": {"type": "object", "required": ["part", "outcome", "method"], "properties": {
                    "part": {"type": "string", "enum": list(ASSESSMENT_PARTS)},
                    "outcome": {"type": "string", "enum": list(ASSESSMENT_OUTCOMES)},
                    "method": {"type": "string"}, "note": {"type": "string"}}}}}},
                     "responses": answers(ITEM, "201", "400", "401", "403", "404", "422")}},
        "/api/v1/evidence/{item_id}/verification/confirm": {
            "parameters": [path_id("item_id")],
            "post": {"summary": "Make the working verification status public (a second reviewer: not the "
                                "uploader, not an assessor)", "requestBody": {"required": True, "content": {
                "application/json": {"schema": {"type": "object", "required": ["status"], "properties": {
                    "status": {"type": "string", "enum": list(VERIFICATION_STATUSES),
                               "description": "The working status the reviewer read; 409 if it changed"}}}}}},
                     "responses": answers(ITEM, "200", "400", "401", "403", "404", "409", "422")}},
        "/api/v1/evidence/{item_id}/withdraw": {
            "parameters": [path_id("item_id")],
            "post": {"summary": "Withdraw an item attached by mistake from its incident, before publication (those "
                                "who may edit the incident)", "requestBody": {"required": True, "content": {
                "application/json": {"schema": {"type": "object", "required": ["reason"], "properties": {
                    "reason": {"type": "string", "maxLength": 2000,
                               "description": "Why: kept in the item's chain of custody"}}}}}},
                     "responses": answers(ITEM, "200", "400", "401", "403", "404", "409", "422")}},
    }
