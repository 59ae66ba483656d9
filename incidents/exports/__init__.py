"""Exports: open data (CSV and JSON of published incidents); dossiers come later."""
