"""Public pages: home, the list of published incidents with filters, a facility's page."""
from __future__ import annotations

from flask import Blueprint, abort, render_template, request

from .. import i18n
from ..errors import ValidationFailed
from ..models import Facility, PublishedIncident
from . import service

bp = Blueprint("public", __name__)


@bp.route("/")
def home():
    latest = list(PublishedIncident.select()
                  .order_by(PublishedIncident.published_at.desc(), PublishedIncident.incident.desc())
                  .limit(5))
    return render_template("public/home.html", latest=latest,
                           total=PublishedIncident.select().count(),
                           facilities=Facility.select().count())


@bp.route("/incidents")
def incident_list():
    """Published incidents under the filters of the query string, with facet counts."""
    errors = {}
    try:
        filters = service.parse_filters(request.args)
    except ValidationFailed as exc:
        errors = {k: [str(m) for m in v] for k, v in exc.fields.items()}
        filters = service.Filters()
    page = service.search_published(filters, i18n.language())
    facilities = {f.id: f for f in Facility.select().where(
        Facility.id.in_([row.facility_id for row in page.items] + filters.facility))}
    return render_template("public/incidents.html", page=page, filters=filters, errors=errors,
                           facilities=facilities, all_facilities=_facility_options()), \
        400 if errors else 200


def _facility_options():
    language = i18n.language()
    with_published = Facility.select().where(Facility.id.in_(
        PublishedIncident.select(PublishedIncident.facility)))
    return sorted(((f.id, service.facility_name(f, language)) for f in with_published),
                  key=lambda pair: pair[1].casefold())


@bp.route("/facilities/<int:facility_id>")
def facility_detail(facility_id):
    """A facility and its published incidents, newest first. :raise 404: no such facility."""
    facility = Facility.get_or_none(Facility.id == facility_id)
    if facility is None:
        abort(404)
    incidents = list(PublishedIncident.select().where(PublishedIncident.facility == facility)
                     .order_by(PublishedIncident.date_start.desc(), PublishedIncident.incident.desc()))
    return render_template("public/facility.html", facility=facility, incidents=incidents)
