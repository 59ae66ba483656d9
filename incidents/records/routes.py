"""Pages for reading, entering and editing incidents and facilities."""
from __future__ import annotations

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _

from incidents import geo, i18n, policy, workflow
from incidents.duplicates import service as duplicates
from incidents.errors import Conflict, Forbidden, NotFound, PossibleDuplicate, ValidationFailed
from incidents.evidence.store import EvidenceStore
from incidents.models import STATUSES, VERIFICATION_STATUSES, Facility, Incident, ReviewEvent
from incidents.records import drafts, forms, service
from incidents.uploads import service as uploads
from incidents.views import PostForm, actor, settings

bp = Blueprint("records", __name__)




@bp.route("/incidents/<int:incident_id>")
def incident_detail(incident_id):
    """The working copy for staff who may read it, the published revision for everyone else.

    :raise 404: nothing this reader may see.
    """
    view = service.read_incident(actor(), incident_id,
                                 prefer_public=request.args.get("view") == "public")
    context = {"view": view, "data": view.data, "facility": Facility.get_by_id(view.data["facility"]),
               "actions": [], "events": [], "changes": None,
               "verification": service.public_verification(view)}
    if view.incident is not None:
        context["actions"] = workflow.available_actions(actor(), view.incident)
        context["events"] = list(view.incident.review_events.order_by(ReviewEvent.id.desc()))
        if view.incident.status in ("draft", "in_review"):
            context["changes"] = service.changes_for_review(view.incident, actor())
        context["can_edit"] = policy.can_edit_incident(actor(), view.incident)
        context.update(_duplicates_of(view.incident))
    return render_template("records/incident.html", **context)


def _duplicates_of(incident) -> dict:
    """The incident page's likely duplicates and marks, for staff who may read its working copy."""
    if not policy.can_see_duplicates(actor(), incident):
        return {}
    return {"similar": duplicates.similar_to(actor(), incident.id), "marks": duplicates.marks_of(actor(), incident),
            "can_mark": policy.can_mark_duplicates(actor(), incident)}


@bp.route("/incidents/similar", methods=["POST"])
def similar_draft():
    """Likely duplicates of the incident form as typed, for its panel (static/similar.js).

    :raise 400: no CSRF token. :raise 403: not someone who enters incidents.
    """
    if not policy.can_create_incident(actor()):
        abort(403)
    if not PostForm().validate_on_submit():
        abort(400)
    matches = duplicates.likely_for_fields(actor(), forms.similar_fields(request.form))
    return jsonify({"items": [{**match.as_json(), "title": i18n.pick_text(match.title, match.original_language)[0],
                               "url": url_for("records.incident_detail", incident_id=match.incident.id)}
                              for match in matches]})


@bp.route("/incidents/<int:incident_id>/duplicates", methods=["POST"])
def mark_duplicate(incident_id):
    """Mark "same event as" or "not a duplicate of" another incident (``other``: its id or
    reference), or with ``undo`` take a mark back.

    :raise 400: no CSRF token. :raise 404: an incident the user may not read. :raise 403: nor mark.
    """
    if not PostForm().validate_on_submit():
        abort(400)
    other = request.form.get("other", "")
    try:
        if request.form.get("undo"):
            duplicates.unmark(actor(), incident_id, other)
            flash(_("The mark was taken back."), "info")
        else:
            duplicates.mark(actor(), incident_id, other, request.form.get("verdict", ""))
            flash(_("Marked."), "info")
    except (NotFound, Forbidden) as exc:
        abort(exc.status)
    except ValidationFailed as exc:
        flash(str(exc.message), "error")
    return redirect(url_for("records.incident_detail", incident_id=incident_id))


@bp.route("/incidents/<int:incident_id>/history")
def history(incident_id):
    """:raise 404: no such incident, or the reader may not see confidential fields."""
    incident, entries = service.revision_history(actor(), incident_id)
    return render_template("records/history.html", incident=incident, entries=entries)


def _store() -> EvidenceStore:
    return EvidenceStore.from_settings(settings())


def _form_key(incident) -> str:
    return str(incident.id) if incident is not None else "new"


def _render_form(form, *, incident=None, errors=None, duplicates=(), status=200):
    """The incident form, with the files sent ahead from it and not saved yet: after a reload, a
    crash, a language switch or a refused save, they are still there."""
    forms.fill_incident_choices(form, i18n.language(), actor())
    files = uploads.pending(actor(), _store(), _form_key(incident))
    errors = forms.place_file_errors(errors or {}, {status.upload.token for status in files})
    return render_template("records/incident_form.html", form=form, incident=incident,
                           errors=errors, duplicates=duplicates, languages=forms.LANGUAGES,
                           files=files, form_key=_form_key(incident), kind_by_type=uploads.KIND_BY_TYPE), status


def _files() -> uploads.FormFiles:
    return uploads.FormFiles(actor(), _store(), forms.file_entries(request.form))


@bp.route("/incidents/new", methods=["GET", "POST"])
def new_incident():
    if not policy.can_create_incident(actor()):
        abort(403)
    form = forms.IncidentForm()
    if request.method == "GET":
        form.original_language.data = i18n.language()
        return _render_form(form)
    if not form.validate_on_submit():
        return _render_form(form, errors={"form": [_("The form expired. Please send it again.")]},
                            status=400)
    if request.form.get("use_facility", "").isdecimal():  # a likely duplicate offered, and taken
        form.facility.data = request.form["use_facility"]
    data, renames = forms.incident_form_data(form)
    new_facility = forms.new_facility_data(form.new_facility.form) if form.facility.data == "new" else None
    try:
        incident = service.create_incident(data, actor(), max_text=settings().MAX_TEXT_LENGTH,
                                           new_facility=new_facility,
                                           confirm_new=form.new_facility.form.confirm_new.data, files=_files())
    except ValidationFailed as exc:
        errors = forms.place_text_errors(forms.map_errors(exc.fields, renames), data, settings().MAX_TEXT_LENGTH)
        return _render_form(form, errors=errors, status=422)
    except PossibleDuplicate as exc:
        return _render_form(form, errors={"new_facility-names": [str(exc.message)]},
                            duplicates=exc.matches, status=exc.status)
    drafts.discard(actor(), None)  # saved: the form's draft is gone
    flash(_("Saved as a draft. Submit it for review when it is complete."), "info")
    return redirect(url_for("records.incident_detail", incident_id=incident.id))


@bp.route("/incidents/<int:incident_id>/edit", methods=["GET", "POST"])
def edit_incident(incident_id):
    view = service.read_incident(actor(), incident_id)
    if view.incident is None or not policy.can_edit_incident(actor(), view.incident):
        abort(403 if view.incident is not None else 404)
    if request.method == "GET":
        form = forms.form_from_snapshot(view.data, view.incident.version, i18n.language())
        return _render_form(form, incident=view.incident)
    form = forms.IncidentForm()
    if not form.validate_on_submit():
        return _render_form(form, incident=view.incident,
                            errors={"form": [_("The form expired. Please send it again.")]}, status=400)
    data, renames = forms.incident_form_data(form)
    try:
        service.update_incident(incident_id, data, actor(), version=form.version.data,
                                max_text=settings().MAX_TEXT_LENGTH, files=_files())
    except ValidationFailed as exc:
        errors = forms.place_text_errors(forms.map_errors(exc.fields, renames), data, settings().MAX_TEXT_LENGTH)
        if "version" in errors:  # a hidden field: its absence is said above the form
            errors["form"] = [str(exc.message)]
        return _render_form(form, incident=view.incident, errors=errors, status=422)
    except Conflict as exc:
        return _render_form(form, incident=view.incident, errors={"form": [str(exc.message)]},
                            status=409)
    drafts.discard(actor(), view.incident)
    if view.incident.status == "published":
        flash(_("Saved as a pending revision. The public keeps seeing the published version "
                "until a reviewer approves the change."), "info")
    else:
        flash(_("Saved."), "info")
    return redirect(url_for("records.incident_detail", incident_id=incident_id))


@bp.route("/workspace")
def workspace():
    """Staff list of incidents in every state (a contributor's own only)."""
    status = request.args.get("status") or None
    verification = request.args.get("verification") or None
    if (status is not None and status not in STATUSES) or \
            (verification is not None and verification not in VERIFICATION_STATUSES):
        abort(400)
    incidents = service.working_copies(actor(), status)
    if verification:
        incidents = incidents.where(Incident.verification == verification)
    return render_template("records/workspace.html", incidents=list(incidents.limit(500)),
                           status=status, statuses=STATUSES, verification=verification,
                           verifications=VERIFICATION_STATUSES)


@bp.route("/facilities/new", methods=["GET", "POST"])
def new_facility():
    if not policy.can_create_facility(actor()):
        abort(403)
    return _facility_form(None)


@bp.route("/facilities/<int:facility_id>/edit", methods=["GET", "POST"])
def edit_facility(facility_id):
    facility = Facility.get_or_none(Facility.id == facility_id)
    if facility is None:
        abort(404)
    if not policy.can_edit_facility(actor()):
        abort(403)
    return _facility_form(facility)


def _facility_form(facility):
    if request.method == "GET" and facility is not None:
        form = forms.FacilityForm(data=forms.facility_form_values(facility))
    else:
        form = forms.FacilityForm()
        if request.method == "GET":
            form.original_language.data = i18n.language()
    errors, status, duplicates = {}, 200, ()
    if request.method == "POST":
        if not form.validate_on_submit():
            errors, status = {"form": [_("The form expired. Please send it again.")]}, 400
        else:
            data = forms.facility_form_data(form)
            try:
                saved = service.update_facility(facility.id, data, actor()) if facility else \
                    service.create_facility(data, actor(), confirm_new=form.confirm_new.data)
            except ValidationFailed as exc:
                errors, status = forms.map_errors(exc.fields, {}), 422
            except PossibleDuplicate as exc:
                errors, status, duplicates = {"names": [str(exc.message)]}, exc.status, exc.matches
            else:
                flash(_("Facility saved."), "info")
                return redirect(url_for("public.facility_detail", facility_id=saved.id))
    forms.fill_facility_choices(form, i18n.language())
    return render_template("records/facility_form.html", form=form, facility=facility,
                           errors=errors, duplicates=duplicates), status


@bp.route("/regions")
def regions():
    """Regions of one country in the reader's language, for the facility forms' script."""
    country = (request.args.get("country") or "").upper()[:2]
    return jsonify({"items": [{"code": code, "name": name}
                              for code, name in geo.region_choices(country, i18n.language())]})
