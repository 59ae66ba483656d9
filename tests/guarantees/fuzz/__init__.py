"""Property-based fuzzing (Hypothesis) of every form and every writing API endpoint.

Hostile input of every kind (random Unicode, control and bidirectional-override characters, NUL,
zero-width characters, oversized fields, malformed dates, markup, SQL and spreadsheet formulas,
wrong JSON types, deep nesting, unknown fields) gets a clear refusal and leaves the database as it
was; what is accepted reads back as the app's documented normalisation of what was sent. A clear
refusal is a 4xx: a JSON error naming each field, or the form again with each error beside its
field. The buttons that post and go back to a page (attach evidence, assess, assign, review, change
a person) refuse by going back with the reason flashed there (Post/Redirect/Get).

strategies.py draws the input, expectations.py says what the app must answer; the test_api_*
modules fuzz the JSON API, the test_pages_* modules the pages' forms, and test_coverage.py holds
that every writing endpoint is fuzzed by one of them or exempted with a reason.

Hand-picked cases are in tests/guarantees/test_hostile_input.py, escaping on every page in
tests/guarantees/test_xss.py, and schema-driven fuzzing of the API in tests/api/test_openapi.py.
"""
