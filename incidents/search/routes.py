"""Public pages: home, the list of published incidents with filters, a facility's page."""
from __future__ import annotations

from flask import Blueprint, abort, render_template, request

from .. import i18n
from ..errors import ValidationFailed
from ..models import Facility
from ..views import actor
from . import service

bp = Blueprint("public", __name__)


@bp.route("/")
def home():
    total, facilities = service.published_counts()
    return render_template("public/home.html", latest=service.latest_published(), total=total,
                           facilities=facilities)


@bp.route("/incidents")
def incident_list():
    """Published incidents under the filters of the query string, with facet counts."""
    errors = {}
    try:
        filters = service.parse_filters(request.args)
    except ValidationFailed as exc:
        errors = {k: [str(m) for m in v] for k, v in exc.fields.items()}
        filters = service.Filters()
    language = i18n.language()
    page = service.search_published(filters, language)
    facilities = {f.id: f for f in Facility.select().where(
        Facility.id.in_([row.facility_id for row in page.items]))}
    options = sorted(((entry["value"], entry["label"]) for entry in page.facets["facility"]),
                     key=lambda pair: pair[1].casefold())
    return render_template("public/incidents.html", page=page, filters=filters, errors=errors,
                           facilities=facilities, all_facilities=options,
                           passages=service.passages(page.items, filters.q, language)), \
        400 if errors else 200


@bp.route("/facilities")
def facility_list():
    """Facilities with their number of published incidents; ``q`` matches names in any script."""
    q = (request.args.get("q") or "").strip()[:200]
    return render_template("public/facilities.html", q=q,
                           facilities=service.facility_directory(actor(), q, i18n.language()))


@bp.route("/facilities/<int:facility_id>")
def facility_detail(facility_id):
    """A facility and its published incidents, newest first.

    :raise 404: no such facility, or one the reader may not know of yet.
    """
    facility = service.visible_facilities(actor()).where(Facility.id == facility_id).first()
    if facility is None:
        abort(404)
    return render_template("public/facility.html", facility=facility,
                           incidents=service.published_at(facility))
