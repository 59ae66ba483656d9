"""An archive ingest run as a job (issue 15, point 3): handed over from the terminal, preserved by the
worker, resumed by the next attempt when one fails half-way, and never recorded twice."""
from __future__ import annotations

from incidents.evidence import ingest
from incidents.jobs import service as jobs
from incidents.models import CustodyEvent, EvidenceItem, IngestBatch, Job
from tests.factories import JPEG
from tests.helpers import hold_jobs, run_command, translated

HANDED = "Being preserved by the job worker"


def archive(tmp_path, files: int = 6):
    # The folder is named after who handed it over, as archives often are.
    folder = tmp_path / "от Петра Сидорова"
    folder.mkdir()
    for index in range(files):
        (folder / f"clip-{index}.bin").write_bytes(f"recording {index}".encode())
    (folder / "cell.jpg").write_bytes(JPEG)
    return folder


def test_an_ingest_handed_to_the_worker_returns_at_once_and_the_worker_preserves_it(app, users, tmp_path, as_role):
    folder = archive(tmp_path)
    drain = hold_jobs(app)
    reviewer = users["reviewer"]
    reviewer.locale = "ru"
    reviewer.save()
    result = run_command(app, "ingest", str(folder), "--user", reviewer.email, "--source", "Пётр", "--in-worker")
    assert result.exit_code == 0, result.output
    batch = IngestBatch.get()
    assert f"{batch.id}" in result.output and "обработчику заданий" in result.output  # in the reviewer's language
    assert EvidenceItem.select().count() == 0  # nothing preserved in the terminal
    job = Job.get(Job.kind == "ingest")
    assert job.arguments == {"batch": batch.id}  # the folder's name (a person's) stays sealed in the batch
    browser = as_role("reviewer")
    assert translated(app, HANDED) in browser.get("/archive?lang=ru").get_data(as_text=True)

    assert drain() >= 1
    assert EvidenceItem.select().count() == 7
    assert IngestBatch.get().finished_at is not None
    assert Job.get_by_id(job.id).result == {"files": 7, "preserved": 7, "skipped": 0}
    page = browser.get("/archive?lang=ru").get_data(as_text=True)
    assert translated(app, "Finished") in page and translated(app, HANDED) not in page
    assert Job.select().where(Job.kind == "previews").count() == 1  # the photo's, asked as it was preserved


def test_an_attempt_that_fails_half_way_is_resumed_by_the_next_and_no_file_is_recorded_twice(app, users, tmp_path,
                                                                                          monkeypatch):
    folder = archive(tmp_path)
    hold_jobs(app)
    monkeypatch.setattr(ingest._groups, "__defaults__", (2, ingest.GROUP_BYTES))  # two files a transaction
    real, seen = ingest._preserve_one, []

    def failing_once(store, writer, copier, relative, *rest):
        seen.append(relative)
        if relative == "clip-4.bin" and seen.count(relative) == 1:
            raise OSError("the archive's disk went away")
        return real(store, writer, copier, relative, *rest)
    monkeypatch.setattr(ingest, "_preserve_one", failing_once)
    assert run_command(app, "ingest", str(folder), "--user", users["reviewer"].email, "--in-worker").exit_code == 0
    job = Job.get(Job.kind == "ingest")
    with app.app_context():
        assert jobs.run(job.id) == 10  # failed: tried again later
        done_before = EvidenceItem.select().count()
        assert jobs.run(job.id) is None
    assert 0 < done_before < 7
    assert (Job.get_by_id(job.id).state, Job.get_by_id(job.id).attempts) == ("done", 2)
    # The second attempt read only what the first had not recorded.
    assert seen.count("cell.jpg") == 1 and seen.count("clip-4.bin") == 2
    assert EvidenceItem.select().count() == 7
    received = [e.item_id for e in CustodyEvent.select().where(CustodyEvent.action == "received")]
    assert len(received) == len(set(received)) == 7


def test_an_ingest_the_person_may_not_run_is_refused_and_nothing_is_handed_over(app, users, tmp_path):
    folder = archive(tmp_path)
    hold_jobs(app)
    result = run_command(app, "ingest", str(folder), "--user", users["contributor"].email, "--in-worker")
    assert result.exit_code != 0
    assert "Only reviewers and administrators ingest archives." in result.output
    assert Job.select().where(Job.kind == "ingest").count() == 0 and IngestBatch.select().count() == 0
