"""The queue under the jobs: huey, with its SQLite storage by default and Redis for several servers.

The queue carries only job ids; the rows (``models/jobs.py``) say what to do and how far it got.
So a queue lost or emptied loses nothing: the sweep hands every unfinished job to it again.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey, crontab
from huey.exceptions import RetryTask

from incidents.db import create_private_file
from incidents.jobs import service

NAME = "incidents"


def make_queue(url: str, instance_path: str) -> Huey:
    """The queue named by ``JOBS_URL`` (see config.py)."""
    if url == "immediate":
        return MemoryHuey(NAME, immediate=True, results=False)
    if url == "memory":  # kept in this process until a test drains it
        return MemoryHuey(NAME, results=False)
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisHuey(NAME, url=url, results=False)
    if url and not url.startswith("sqlite:///"):
        raise ValueError(f"INCIDENTS_JOBS_URL: {url!r} is neither sqlite:///PATH, redis://HOST:PORT/DB nor empty")
    path = url.removeprefix("sqlite:///") or os.path.join(instance_path, "jobs.sqlite3")
    create_private_file(path)  # job ids only, but kept like the database beside it
    return SqliteHuey(NAME, filename=path, results=False)


@dataclass
class Jobs:
    """What ``app.extensions["jobs"]`` holds: the queue, its task, and what each kind of job does."""

    huey: Huey
    run_task: object
    handlers: dict
    hourly: tuple

    def enqueue(self, job_id: int) -> None:
        self.run_task(job_id)


def init_jobs(app, handlers: dict, hourly=()) -> Jobs:
    """Build the queue and its tasks for ``app``: each task runs in the app's context. ``hourly``:
    functions each worker runs once an hour, to submit the jobs that are due (so that a schedule
    lives with its concern, and its record of what was done with the database)."""
    settings = app.config["SETTINGS"]
    huey = make_queue(settings.JOBS_URL, app.instance_path)

    @huey.task(name="run_job")
    def run_job(job_id: int):
        with app.app_context():
            delay = service.run(job_id)
        if delay is not None and not huey.immediate:
            raise RetryTask(delay=delay)

    # Every minute, and when a worker starts: jobs whose worker died, or that never reached the queue.
    @huey.periodic_task(crontab(minute="*"), name="sweep")
    def sweep():
        with app.app_context():
            service.sweep()

    huey.on_startup(name="sweep_at_start")(sweep.call_local)

    @huey.periodic_task(crontab(minute="17"), name="hourly")
    def each_hour():
        with app.app_context():
            for due in hourly:
                due()

    # A worker started now and then (a laptop's `make run`) may never be up at a quarter past.
    huey.on_startup(name="hourly_at_start")(each_hour.call_local)
    jobs = Jobs(huey, run_job, dict(handlers), tuple(hourly))
    app.extensions["jobs"] = jobs
    return jobs
