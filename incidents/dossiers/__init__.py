"""Dossiers for lawyers: court-ready PDFs and DOCX, mechanisms' layouts, signed bundles (floor 3)."""
