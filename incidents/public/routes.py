"""Public pages: home, the list of published incidents with filters, a facility's page."""
from __future__ import annotations

from flask import Blueprint, Response, abort, render_template, request

from incidents import i18n
from incidents.errors import ValidationFailed
from incidents.models import Facility
from incidents.search.facets import DIMENSIONS
from incidents.search.facets import statistics as statistics_of
from incidents.search.facilities import (
    facility_directory,
    latest_published,
    published_at,
    published_counts,
    visible_facilities,
)
from incidents.search.filters import Filters, parse_filters, parse_page
from incidents.search.queries import passages, search_published
from incidents.text import safe_cell
from incidents.views import actor

bp = Blueprint("public", __name__)
# The facets the list page shows (counting one costs time, so only these).
LIST_FACETS = ("facility", "region", "country", "perpetrator", "abuse", "verification")


@bp.route("/")
def home():
    total, facilities = published_counts()
    return render_template("public/home.html", latest=latest_published(), total=total,
                           facilities=facilities)


def _read_query(parse, fallback):
    """(what ``parse`` reads from the query string, {}); when it is not understood, (``fallback``,
    what was wrong)."""
    try:
        return parse(request.args), {}
    except ValidationFailed as exc:
        return fallback, {k: [str(m) for m in v] for k, v in exc.fields.items()}


@bp.route("/incidents")
def incident_list():
    """Published incidents under the filters of the query string, with facet counts."""
    filters, errors = _read_query(parse_filters, Filters())
    language = i18n.language()
    filters.facets = LIST_FACETS
    page = search_published(filters, language, actor())
    facilities = {f.id: f for f in Facility.select().where(
        Facility.id.in_([row.facility_id for row in page.items]))}
    options = sorted(((entry["value"], entry["label"]) for entry in page.facets["facility"]),
                     key=lambda pair: pair[1].casefold())
    return render_template("public/incidents.html", page=page, filters=filters, errors=errors,
                           facilities=facilities, all_facilities=options, export_args=_link_args("fmt", "hxl"),
                           passages=passages(page.items, filters.q, language)), \
        400 if errors else 200


def _link_args(*own: str) -> dict:
    """The page's query for links to another endpoint, less what url_for would take for its own
    arguments ("endpoint", "_external", ...) or the link sets itself (``own``): a query naming
    them was a 500."""
    return {k: v for k, v in request.args.lists() if k not in ("endpoint", *own) and not k.startswith("_")}


@bp.route("/statistics")
def statistics():
    """Counts under any filter, drawn as SVG with the numbers beside them (signed-in readers)."""
    filters, errors = _read_query(parse_filters, Filters())
    language = i18n.language()
    page = search_published(
        Filters(**{**filters.__dict__, "per_page": 1, "facets": ("facility", "region", "abuse")}), language, actor())
    # The CSV links carry the page's query, less what url_for would take for its own arguments
    # ("endpoint", "_external", ...) or the link sets itself ("dimension"): those were a 500.
    csv_args = {k: v for k, v in request.args.lists() if k not in ("dimension", "endpoint") and not k.startswith("_")}
    return render_template("public/statistics.html", stats=statistics_of(filters, language, actor()),
                           filters=filters, errors=errors, page=page, csv_args=csv_args,
                           all_facilities=sorted(((e["value"], e["label"]) for e in page.facets["facility"]),
                                                 key=lambda pair: pair[1].casefold())), 400 if errors else 200


@bp.route("/statistics.csv")
def statistics_csv():
    """One dimension's counts as CSV (``dimension`` = year, region, facility or abuse)."""
    dimension = request.args.get("dimension", "year")
    if dimension not in DIMENSIONS:
        abort(400)
    filters = parse_filters(request.args)
    rows = statistics_of(filters, i18n.language(), actor())[dimension]
    lines = ["\ufeffvalue,label,count\r\n"] + [
        ",".join(_csv_cell(cell) for cell in row) + "\r\n" for row in rows]
    response = Response("".join(lines), mimetype="text/csv")
    response.headers["Content-Disposition"] = f"attachment; filename=incidents-per-{dimension}.csv"
    return response


def _csv_cell(value) -> str:
    text = safe_cell(value)
    return '"' + text.replace('"', '""') + '"' if any(c in text for c in ',"\r\n') else text


@bp.route("/facilities")
def facility_list():
    """Facilities with their number of published incidents, a page at a time; ``q`` matches names in
    any script."""
    q = (request.args.get("q") or "").strip()[:200]
    number, errors = _read_query(parse_page, 1)
    return render_template("public/facilities.html", q=q, errors=errors,
                           page=facility_directory(actor(), q, i18n.language(), number)), 400 if errors else 200


@bp.route("/facilities/<int:facility_id>")
def facility_detail(facility_id):
    """A facility and its published incidents, newest first, a page at a time.

    :raise 404: no such facility, or one the reader may not know of yet.
    """
    facility = visible_facilities(actor()).where(Facility.id == facility_id).first()
    if facility is None:
        abort(404)
    number, errors = _read_query(parse_page, 1)
    stats = statistics_of(Filters(facility=[facility.id]), i18n.language(), actor())
    return render_template("public/facility.html", facility=facility, stats=stats, errors=errors,
                           page=published_at(facility, number)), 400 if errors else 200

