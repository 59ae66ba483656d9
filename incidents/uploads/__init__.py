"""Resumable uploads (tus 1.0) of evidence files, before and apart from any incident (floor 3.8).

``service`` holds every rule; the API (``api/uploads.py``) speaks the protocol, and the incident
form's script (``static/uploads.js``) uses that API with the page's session and CSRF token.
"""
