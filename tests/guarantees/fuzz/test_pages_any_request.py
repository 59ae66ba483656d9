"""Every page POST with a missing, forged or other session's CSRF token, and the filter forms
(GET) with hostile queries."""
from __future__ import annotations

from hypothesis import example, given
from hypothesis import strategies as st

from tests.guarantees.fuzz.expectations import assert_unchanged, db_state, page_errors, tally
from tests.guarantees.fuzz.strategies import (
    WRITING_METHODS,
    fuzz,
    hostile_text,
    malformed_dates,
    url_arguments,
    writing_rules,
)


@fuzz(40)
@given(data=st.data(), token_kind=st.sampled_from(["valid", "missing", "forged", "another session's"]),
       fields=st.dictionaries(hostile_text().filter(lambda k: k != "csrf_token"),
                              st.one_of(hostile_text(), st.lists(hostile_text(), max_size=3)), max_size=5))
def test_every_page_refuses_forged_posts(world, data, token_kind, fields):
    """Is every page that writes refused without the session's own CSRF token, and does it survive any
    fields posted with the token, changing nothing when it refuses?

    Every writing page route, found in the app's URL map, posted random fields by a signed-in
    administrator: without the session's CSRF token a 400 that changed nothing; with it, never a
    5xx, and a refusal that changed nothing."""
    rules = sorted((r for r in writing_rules(world.app) if not r.rule.startswith("/api/")), key=lambda r: r.rule)
    rule = data.draw(st.sampled_from(rules), label="rule")
    browser, token = world.browser("admin")
    if rule.endpoint == "auth.logout" and token_kind == "valid":
        token_kind = "missing"  # signing out would end this browser's session for later examples
    token = {"valid": token, "missing": None, "another session's": world.browser("contributor")[1],
             "forged": data.draw(hostile_text(), label="forged token")}[token_kind]
    arguments = url_arguments(world)
    # POST for forms; PUT and DELETE too for the pages' scripts (the incident form's drafts).
    method = data.draw(st.sampled_from(sorted(rule.methods & WRITING_METHODS)), label="method")
    path = world.app.url_map.bind("localhost").build(rule.endpoint, {a: arguments[a] for a in rule.arguments},
                                                     method=method)
    before = db_state()
    response = browser.client.open(path, method=method,
                                   data={**fields, **({"csrf_token": token} if token is not None else {})})
    tally(token_kind, response.status_code < 400)
    assert response.status_code < 500, (rule.rule, page_errors(response))
    if token_kind != "valid":
        assert response.status_code == 400 and page_errors(response), (rule.rule, response.status_code)
    if response.status_code >= 400:
        assert_unchanged(before, login_failures=rule.endpoint.startswith("auth."))


# The filter forms that read (GET): each with the parameters it sends.
GET_FORMS = {
    "/incidents": ("q", "facility", "country", "region", "abuse", "perpetrator", "date_from", "date_to",
                   "verification", "page", "per_page", "sort", "facets", "lang"),
    "/api/v1/incidents": ("q", "facility", "country", "region", "abuse", "perpetrator", "date_from", "date_to",
                          "verification", "page", "per_page", "sort", "facets", "status", "lang"),
    "/api/v1/export/incidents.csv": ("facility", "abuse", "date_from", "hxl", "lang"),
    "/facilities": ("q",), "/api/v1/facilities": ("q",), "/regions": ("country",),
    # "dimension" belongs to statistics.csv, and "endpoint" and "_scheme" to no form: stray parameters.
    "/statistics": ("facility", "abuse", "date_from", "dimension", "endpoint", "_scheme"),
    "/statistics.csv": ("dimension", "facility"),
    "/workspace": ("status", "verification"), "/admin/audit": ("action", "actor", "object_type", "object_id",
                                                              "date_from", "date_to", "page"),
    "/archive/1": ("page",),  # no such batch: 404, once the page number is read
}
query_values = st.one_of(hostile_text(), malformed_dates, st.sampled_from(["²", "9" * 5000, "0", "-1", "1", "RU",
                                                                           "RU-SAR", "030502000000", "-date"]))


@fuzz(40)
@given(case=st.sampled_from(sorted(GET_FORMS)).flatmap(lambda path: st.tuples(
    st.just(path), st.dictionaries(st.sampled_from(GET_FORMS[path]), query_values, max_size=4))))
@example(case=("/incidents", {"facility": "²"}))  # a digit that int() cannot read: was a 500
@example(case=("/api/v1/incidents", {"page": "9" * 5000}))  # more digits than int() reads: was a 500
@example(case=("/admin/audit", {"page": "²"}))  # was a 500
@example(case=("/archive/1", {"page": "²"}))  # was a 500
@example(case=("/statistics", {"dimension": "year"}))  # clashed with the CSV links' own: was a 500
@example(case=("/admin/audit", {"date_to": "9999-12-31"}))  # the day after it overflowed: was a 500
def test_filter_forms_survive_hostile_queries(world, case):
    """Can hostile values in the list, search, statistics, workspace or audit filters cause a server
    error or write anything but the audit of what was read?

    The list, search, statistics, workspace and audit-trail filters with hostile values: an
    answer or a clear 400/422, never a 5xx, and nothing written but the audit of what was read."""
    path, query = case
    browser, _token = world.browser("admin")
    before = db_state()
    response = browser.client.get(path, query_string=query)
    assert response.status_code in (200, 400, 404, 422), (path, query, response.status_code)
    assert_unchanged(before)
