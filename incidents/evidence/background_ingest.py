"""An ingest handed to the job worker (``flask --app app ingest DIR --user EMAIL --in-worker``).

The archive may take hours to preserve: the person who starts it need not keep a terminal open,
and a worker stopped half-way (a reboot) leaves the rest to the next, which resumes the batch as a
second run in a terminal would (``ingest.py``). The job names only the batch: the folder's path,
which may name whoever handed the archive over, stays encrypted in the batch.
"""
from __future__ import annotations

from flask import current_app

from incidents.evidence import ingest
from incidents.evidence.store import EvidenceStore
from incidents.jobs.service import UNFINISHED, Outcome, submit
from incidents.models import IngestBatch, Job


def hand_to_worker(root: str, actor, *, incident_id: int | None = None, provenance: dict | None = None):
    """(batch, job): the batch opened (or the unfinished one over the same folder) and its job.

    :raise NotFound / Forbidden / ValidationFailed: as ``ingest.open_batch``.
    """
    batch = ingest.open_batch(root, actor, incident_id, provenance)
    return batch, submit("ingest", {"batch": batch.id}, owner=actor, once=True)


def batches_in_worker() -> set[int]:
    """The ids of the batches a worker preserves now, or will."""
    return {job.arguments["batch"] for job in
            Job.select(Job.arguments).where((Job.kind == "ingest") & Job.state.in_(UNFINISHED))}


def ingest_job(job) -> Outcome:
    """The job: the batch's folder preserved, resuming what an earlier attempt recorded."""
    batch = IngestBatch.get_or_none(IngestBatch.id == job.arguments["batch"])
    if batch is None or batch.finished_at is not None:
        return Outcome({"files": 0})
    report = ingest.ingest(batch.root, batch.actor, EvidenceStore.from_settings(current_app.config["SETTINGS"]),
                           incident_id=batch.incident_id)
    return Outcome({"files": report.files, "preserved": report.preserved, "skipped": len(report.refused)})
