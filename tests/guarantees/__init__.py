"""Guarantees no single package holds on its own: deny by default and the role table on every
endpoint (test_access), the import floors (test_architecture), script shown as text on every page
(test_xss), hostile and fuzzed input (test_hostile_input, fuzz/), the three languages (test_i18n),
racing saves and killed processes (test_concurrency, test_crash_evidence), the main path in a real
browser (test_browser), and the documents in docs/ held to the code (test_docs)."""
