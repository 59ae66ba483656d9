"""The test suite, one folder per package (or root module) of incidents/: tests/records/ tests
incidents/records/, tests/accounts/ the sign-in (incidents/accounts/ and the auth pages), and so on.
Guarantees that cut across every package (access, escaping, hostile input, fuzzing, languages,
concurrency, crashes, the browser, the import floors) are in tests/guarantees/.

Fixtures are in conftest.py files (tests/conftest.py for all, a folder's own for that folder only);
helpers that are not fixtures are imported from tests/factories.py (records, files, media) and
tests/helpers.py (the password, a signing-in browser, bearer headers, the repository's root).
Every folder is a package, so that modules of the same name in two folders do not clash.
"""
