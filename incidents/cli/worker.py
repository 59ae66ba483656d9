"""``flask --app app worker``: the background jobs' worker (``jobs/``), until stopped.

Several may run at once, on one machine or several sharing the queue (Redis) and the database:
a job is claimed by one of them at a time (``jobs/service.py``).
"""
from __future__ import annotations

import logging

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import gettext as _

from incidents.cli.common import Refusal, in_terminal_language


@click.command("worker")
@click.option("--threads", default=2, show_default=True, type=click.IntRange(1, 64),
              help="Jobs run at the same time. Decoders run in processes of their own.")
@with_appcontext
@in_terminal_language
def worker(threads):
    """Run the background jobs (previews, public copies, signed bundles, e-mail) until stopped."""
    jobs = current_app.extensions["jobs"]
    if jobs.huey.immediate:
        raise Refusal(_("INCIDENTS_JOBS_URL is “immediate”: jobs run inside the requests, and there is nothing for a worker to do."))
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    click.echo(_("The worker runs %(threads)s jobs at a time. Stop it with Ctrl+C; a job it was doing is taken up again by the next worker.", threads=threads))
    jobs.huey.create_consumer(workers=threads, worker_type="thread", periodic=True).run()
