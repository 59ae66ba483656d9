"""Short ways to make facilities and incidents in tests, through the real services."""
from __future__ import annotations

import io

from incidents import workflow
from incidents.records import service

MAX_TEXT = 20_000


def facility_data(**overrides) -> dict:
    data = {
        "names": {"en": "Tuberculosis Hospital No. 1", "ru": "Туберкулёзная больница № 1"},
        "aliases": ["ОТБ-1", "OTB-1", "Saratov TB hospital"],
        "type": "prison_hospital",
        "country": "RU",
        "region": "RU-SAR",
        "locality": "Саратов",
        "authority": "FSIN",
    }
    data.update(overrides)
    return data


def make_facility(user, **overrides):
    """A facility the test wants, however like another one it is (tests/search/test_facility_picker.py
    holds the warning about likely duplicates)."""
    return service.create_facility(facility_data(**overrides), user, confirm_new=True)


def incident_data(place, **overrides) -> dict:
    data = {
        "facility": place.id,
        "date_start": "2020",
        "date_end": None,
        "date_precision": "year",
        "original_language": "ru",
        "title": {"ru": "Пытки в больнице", "en": "Torture in the hospital"},
        "narrative": {"ru": "Заключённого привязали к кровати.", "en": "A prisoner was tied to a bed."},
        "abuse": ["030502000000", "031701000000"],
        "perpetrators": ["010105000000"],
        "victims_count": 1,
        "violation_status": "040000000000",
        "graphic": True,
        "persons": [{"role": "victim", "pseudonym": "Prisoner S.", "legal_name": "Иванов Иван Иванович",
                     "contact": "+7 900 000-00-00", "citizenship": "RU", "sex": "male", "age": 35,
                     "consent": "anonymised"}],
        "evidence": [{"kind": "220904051501", "url": "https://example.org/video",
                      "description": "Part of the leaked archive"}],
    }
    data.update(overrides)
    return data


def make_incident(author, facility, **overrides):
    return service.create_incident(incident_data(facility, **overrides), author, max_text=MAX_TEXT)


def move(incident, user, action: str, comment: str = ""):
    """Take a workflow action as a page showing the incident now would: with its current version."""
    from incidents.models import Incident
    incident_id = getattr(incident, "id", incident)
    return workflow.transition(incident_id, user, action, comment=comment,
                               version=Incident.get_by_id(incident_id).version)


def publish(incident, author, reviewer):
    """Submit and approve, the reviewer first deciding to show each picture and video as it is (the
    redaction decision publication waits for; tests of redaction decide for themselves)."""
    move(incident, author, "submit")
    decide_unredacted(incident, reviewer)
    return move(incident, reviewer, "approve")


def decide_unredacted(incident, reviewer) -> None:
    """Record "publish unredacted" for the incident's pictures and videos that wait for a decision."""
    from incidents import redactions
    from incidents.evidence import redaction
    from incidents.models import EvidenceItem
    ids = [item.id for item in EvidenceItem.select(EvidenceItem.id).where(EvidenceItem.incident == incident.id)]
    for item_id in redactions.undecided(ids):
        redaction.decide(reviewer, item_id, {"decision": "publish_unredacted", "reason": "Nobody is shown."})


def edit(incident_id, user, field: str, language: str, text: str):
    """Save one changed text of an incident as ``user``, from the version it has now."""
    from incidents.models import Incident
    from incidents.revisions import snapshot
    current = Incident.get_by_id(incident_id)
    data = snapshot(current)
    data[field][language] = text
    return service.update_incident(incident_id, data, user, version=current.version, max_text=MAX_TEXT)


def _jpeg() -> bytes:
    from PIL import Image
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 40, 40)).save(buffer, "JPEG")
    return buffer.getvalue()


def encode_frames(container, stream, frames: int = 12, tamper=lambda packet: packet, samples: int = 1024) -> None:
    """``frames`` small frames of changing colour (or of ``samples`` of silence, for sound) through
    ``stream`` into ``container``, each packet as ``tamper`` makes it."""
    import av
    import numpy
    audio = stream.type == "audio"
    for index in range(frames):
        if audio:
            frame = av.AudioFrame.from_ndarray(numpy.zeros((2, samples), dtype=numpy.float32), format="fltp",
                                               layout="stereo")
            frame.sample_rate, frame.pts = stream.rate, index * samples
        else:
            frame = av.VideoFrame(64, 48, "rgb24")
            frame.planes[0].update(bytes([index * 20 % 256, 80, 160]) * (64 * 48))
            frame = frame.reformat(format="yuv420p")
        for packet in stream.encode(frame):
            container.mux(tamper(packet))
    for packet in stream.encode():
        container.mux(tamper(packet))


def make_mp4(frames: int = 12, muxer: str = "mp4", codec: str = "mpeg4", tags: dict | None = None,
             stream_tags: dict | None = None, tamper=lambda packet: packet) -> bytes:
    """A real, tiny video (MPEG-4 part 2 in MP4 by default), so that its frames can be decoded;
    ``tags`` and ``stream_tags`` are written into the container's and the stream's metadata, and
    each packet goes in as ``tamper`` makes it."""
    import av
    buffer = io.BytesIO()
    with av.open(buffer, "w", format=muxer) as container:
        container.metadata.update(tags or {})
        stream = container.add_stream(codec, rate=12)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        stream.metadata.update(stream_tags or {})
        encode_frames(container, stream, frames, tamper)
    return buffer.getvalue()


JPEG = _jpeg()
MP4 = make_mp4()


def attach_file(app, incident, user, content: bytes = JPEG, filename: str = "photo.jpg", **fields):
    """Preserve ``content`` as a file item of ``incident``, the way an upload does."""
    from incidents.evidence import service as evidence
    from incidents.evidence.store import EvidenceStore
    store = EvidenceStore.from_settings(app.config["SETTINGS"])
    spool = store.spool()
    try:
        spool.write(content)
        with app.app_context():  # as in a request: the previews' job is queued through the app
            return evidence.attach_file(incident.id, user, store, spool, filename,
                                        {"kind": "160815201501", **fields})
    finally:
        spool.close()


def item_where(**fields):
    """The one evidence item whose fields have these values, compared in Python: encrypted
    columns cannot be compared in SQL."""
    from incidents.models import EvidenceItem
    found = [item for item in EvidenceItem.select()
             if all(getattr(item, name) == value for name, value in fields.items())]
    assert len(found) == 1, f"{len(found)} items match {fields}"
    return found[0]
