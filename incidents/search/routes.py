"""Public pages: home, the list of published incidents with filters, a facility's page."""
from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from peewee import JOIN, fn

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


@bp.route("/facilities")
def facility_list():
    """Every facility with its number of published incidents; ``q`` matches names in any script."""
    q = (request.args.get("q") or "").strip()[:200]
    query = Facility.select(Facility, fn.COUNT(PublishedIncident.incident).alias("published")) \
        .join(PublishedIncident, JOIN.LEFT_OUTER, on=(PublishedIncident.facility == Facility.id)) \
        .group_by(Facility.id)
    if q:
        query = query.where(Facility.search_text.contains(q.casefold()))
    language = i18n.language()
    facilities = sorted(query, key=lambda f: (-f.published, service.facility_name(f, language).casefold()))
    return render_template("public/facilities.html", facilities=facilities, q=q)


@bp.route("/facilities/<int:facility_id>")
def facility_detail(facility_id):
    """A facility and its published incidents, newest first. :raise 404: no such facility."""
    facility = Facility.get_or_none(Facility.id == facility_id)
    if facility is None:
        abort(404)
    incidents = list(PublishedIncident.select().where(PublishedIncident.facility == facility)
                     .order_by(PublishedIncident.date_start.desc(), PublishedIncident.incident.desc()))
    return render_template("public/facility.html", facility=facility, incidents=incidents)
