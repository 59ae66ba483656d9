"""A signed bundle built by the worker: a ZIP of many files may take minutes, a page must not.

The page submits the job with the choices it checked (``assemble.check``), then shows its state
until the bundle is ready to download. The bundle is written under the job's own folder and
recorded in the audit trail and the custody logs with the job's completion: once, whatever
attempt finishes it.
"""
from __future__ import annotations

import json
import os
import zipfile
from dataclasses import asdict

from flask import current_app

from incidents.dossiers import assemble, service, verify_bundle
from incidents.dossiers.assemble import DossierRequest
from incidents.evidence.store import EvidenceStore
from incidents.jobs.service import Outcome, prepared_folder, submit
from incidents.models import Job, User


def submit_bundle(user, request: DossierRequest) -> Job:
    """Check what was asked, then leave the bundle to the worker.

    :raise Forbidden, ValidationFailed: as ``assemble.gather`` would.
    """
    assemble.check(user, request)
    arguments = asdict(request)
    arguments["incident_ids"] = list(request.incident_ids)
    return submit("dossier", arguments, owner=user)


def bundle_job(job: Job) -> Outcome:
    """The job: build the bundle as its owner may see the incidents now, into the job's folder."""
    user = User.get_by_id(job.owner_id)
    arguments = dict(job.arguments, lang=job.arguments["language"])
    request = assemble.parse_request(arguments, job.arguments["language"], "zip")
    settings = current_app.config["SETTINGS"]
    built = service.build(user, request, store=EvidenceStore.from_settings(settings),
                          instance_path=current_app.instance_path,
                          installation=settings.PUBLIC_URL.rstrip("/"), in_worker=True)
    folder = prepared_folder(job)
    os.makedirs(folder, mode=0o700, exist_ok=True)
    path = os.path.join(folder, built.filename)
    with open(path + ".part", "wb") as handle:
        for chunk in built.body:
            handle.write(chunk)
    os.replace(path + ".part", path)
    # The page says so when the authority gave no timestamp: read from the manifest, which says it too.
    with zipfile.ZipFile(path) as archive:
        missing = verify_bundle.declared_timestamp(json.loads(archive.read(verify_bundle.MANIFEST))).get("missing")
    return Outcome({"filename": built.filename, "size": os.path.getsize(path), "not_timestamped": bool(missing)},
                   commit=built.record)


def bundle_path(job: Job) -> str | None:
    """The finished bundle's file, or None while it is built (or when it was not)."""
    name = job.result.get("filename") if job.state == "done" else None
    if not isinstance(name, str) or os.sep in name or name.startswith("."):
        return None
    path = os.path.join(prepared_folder(job), name)
    return path if os.path.exists(path) else None
