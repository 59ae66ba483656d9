"""Background jobs (floor 6.9): slow work off the request path, run by ``flask --app app worker``.

``queue`` builds the queue (huey: a SQLite file by default, Redis when several servers share it)
and the two tasks the worker runs: one job, and the sweep. ``service`` is the job's life: submitted
with its row, claimed for a lease, done once, retried when it fails or its worker dies. What each
kind of job does lives with its concern (``evidence/jobs.py``, ``dossiers/jobs.py``,
``notifications/mail.py``); ``create_app`` names them all in one place.
"""
