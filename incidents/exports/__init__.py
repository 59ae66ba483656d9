"""Exports: open data, the published incidents as CSV, HXL and JSON (floor 3). Dossiers for
courts and UN bodies are in ``dossiers``.
"""
