"""Never an original byte to the public: derivatives without metadata, read back by exiftool;
staff keep the original and see its metadata; viewings join the custody log once; no file times."""
from __future__ import annotations

import datetime
import io
import os
import re
import struct
import subprocess  # noqa: S404 - exiftool, the independent reader
import zipfile

import pytest

from incidents.accounts import credentials
from incidents.models import AuditEvent, CustodyEvent, Incident, Job
from tests.factories import JPEG, attach_file, encode_frames, make_mp4, publish
from tests.helpers import hold_jobs, translated

EXIFTOOL = "/usr/bin/exiftool"
# What the fixtures embed; none of it may reach the public.
SECRETS = ("SERIAL4471XK", "ModelZ9", "GadgetCorp", "XmpAuthorName", "TitleSecret", "StreamTitleSecret",
           "CommentSecret", "HandlerSecret", "2020:06:01", "2020-06-01", "51 deg", "46 deg", "+51.5320")
# Metadata fields exiftool names when they are there at all.
FIELDS = ("GPS", "Serial Number", "Camera Model Name", "Make", "Thumbnail", "Creator", "XMP", "Title",
          "Comment", "Encoder", "Date/Time Original")

# The copy's own C2PA manifest names the original it was made from by its hash, as its title.
OUR_MANIFEST = re.compile(r"^\[CBOR\]\s+Title\s+: [0-9a-f]{64}$")


def tagged_jpeg() -> bytes:
    """A photo with EXIF (maker, model, serial number, time), GPS, an embedded thumbnail and XMP."""
    from PIL import Image
    exif = Image.Exif()
    exif[0x010F], exif[0x0110] = "GadgetCorp", "ModelZ9"
    exif.get_ifd(0x8769).update({0xA431: "SERIAL4471XK", 0x9003: "2020:06:01 10:11:12"})
    exif.get_ifd(0x8825).update({1: "N", 2: (51.0, 32.0, 1.5), 3: "E", 4: (46.0, 1.0, 2.0)})
    tiff = bytearray(exif.tobytes()[6:])
    order = "<" if tiff[:2] == b"II" else ">"
    thumbnail = io.BytesIO()
    Image.new("RGB", (16, 12), (0, 255, 0)).save(thumbnail, "JPEG")
    thumbnail = thumbnail.getvalue()
    # Pillow writes no second IFD; the thumbnail's is appended and chained after the first.
    tiff += b"\x00" * (len(tiff) % 2)
    ifd1_at = len(tiff)
    entries = [(0x0103, 3, 1, 6), (0x0201, 4, 1, ifd1_at + 2 + 12 * 3 + 4), (0x0202, 4, 1, len(thumbnail))]
    tiff += struct.pack(order + "H", 3) + b"".join(struct.pack(order + "HHII", *e) for e in entries) + \
        b"\x00" * 4 + thumbnail
    struct.pack_into(order + "I", tiff, 8 + 2 + 12 * struct.unpack_from(order + "H", tiff, 8)[0], ifd1_at)
    xmp = (b'<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/">'
           b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
           b'xmlns:dc="http://purl.org/dc/elements/1.1/" dc:creator="XmpAuthorName"/></rdf:RDF></x:xmpmeta>'
           b'<?xpacket end="w"?>')
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 40, 40)).save(out, "JPEG", exif=b"Exif\x00\x00" + bytes(tiff), xmp=xmp)
    return out.getvalue()


def tagged_video(muxer: str, codec: str) -> bytes:
    """A video whose container and stream carry a title, a comment, a place (©xyz), a time, a maker."""
    return make_mp4(muxer=muxer, codec=codec,
                    tags={"title": "TitleSecret", "comment": "CommentSecret", "make": "GadgetCorp",
                          "model": "ModelZ9", "location": "+51.5320+046.0340/",
                          "creation_time": "2020-06-01T10:11:12Z"},
                    stream_tags={"title": "StreamTitleSecret", "handler_name": "HandlerSecret",
                                 "creation_time": "2020-06-01T10:11:12Z"})


def exiftool(data: bytes, tmp_path, name: str) -> str:
    assert os.path.exists(EXIFTOOL), "install exiftool (Debian: libimage-exiftool-perl)"
    path = tmp_path / name
    path.write_bytes(data)
    return subprocess.run([EXIFTOOL, "-a", "-u", "-G1", "-ee", str(path)], capture_output=True, text=True,  # noqa: S603
                          check=True).stdout


def assert_nothing_identifying(report: str) -> None:
    found = [s for s in SECRETS if s in report]
    fields = [line for line in report.splitlines()
              if any(f in line.split(":")[0] for f in FIELDS) and not line.startswith("[File]")
              and not OUR_MANIFEST.match(line)]
    assert not found and not fields, (found, fields)


def published(app, incident, users, content, filename, **fields):
    item = attach_file(app, incident, users["contributor"], content, filename, **fields)
    publish(Incident.get_by_id(incident.id), users["contributor"], users["reviewer"])
    return item


def test_the_public_gets_a_photo_without_any_of_its_metadata(app, client, users, incident, as_role, tmp_path):
    """Does a visitor get a published photo without its camera maker, model, serial number, time, GPS
    position, thumbnail and XMP author, while staff still get the original bytes?"""
    original = tagged_jpeg()
    assert "SERIAL4471XK" in exiftool(original, tmp_path, "original.jpg")  # the fixture carries it
    item = published(app, incident, users, original, "photo.jpg")
    public = client.get(f"/evidence/{item.id}/media")
    assert public.status_code == 200 and public.mimetype == "image/jpeg" and public.data != original
    assert_nothing_identifying(exiftool(public.data, tmp_path, "derivative.jpg"))
    assert as_role("lawyer").get(f"/evidence/{item.id}/media").data == original  # staff keep the original


@pytest.mark.parametrize("muxer, codec", [("mov", "libx264"), ("mp4", "mpeg4")])
def test_the_public_gets_a_video_without_any_of_its_metadata(app, client, users, incident, tmp_path, muxer,
                                                              codec):
    """Does a visitor get a published video (H.264 in MOV or MPEG-4 in MP4) without the title, comment,
    maker, place and time its container and stream carried?

    H.264 is copied (its SEI, where cameras put their own data, dropped); MPEG-4 part 2 is re-encoded."""
    original = tagged_video(muxer, codec)
    assert "TitleSecret" in exiftool(original, tmp_path, f"original.{muxer}")
    item = published(app, incident, users, original, f"clip.{muxer}")
    public = client.get(f"/evidence/{item.id}/media")
    assert public.status_code == 200 and public.mimetype == "video/mp4"
    assert_nothing_identifying(exiftool(public.data, tmp_path, "derivative.mp4"))
    if codec == "libx264":
        assert b"x264 - core" in original and b"x264 - core" not in public.data


def test_a_document_is_never_served_to_the_public(app, client, users, incident, as_role):
    """Can a visitor download a published document such as a PDF, or only read its hash, while staff can
    still download it?"""
    pdf = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\n%%EOF\n"
    item = published(app, incident, users, pdf, "report.pdf")
    assert client.get(f"/evidence/{item.id}/media").status_code == 404
    page = client.get(f"/evidence/{item.id}?lang=en").get_data(as_text=True)
    assert item.stored_file_id in page and f"/evidence/{item.id}/media" not in page
    assert as_role("lawyer").get(f"/evidence/{item.id}/media").data == pdf


def test_staff_see_the_originals_metadata_escaped_and_the_public_does_not(app, client, users, incident, as_role):
    """Do staff see the metadata embedded in an original, escaped so it cannot run as script, and is it
    hidden from the public page?"""
    from PIL import Image
    exif = Image.Exif()
    exif[0x0110] = "<script>alert(1)</script>ModelZ9"
    exif.get_ifd(0x8769)[0xA431] = "SERIAL4471XK"
    out = io.BytesIO()
    Image.new("RGB", (8, 8)).save(out, "JPEG", exif=exif)
    item = published(app, incident, users, out.getvalue(), "photo.jpg")
    staff = as_role("lawyer").get(f"/evidence/{item.id}?lang=ru").get_data(as_text=True)
    assert "Встроенные метаданные" in staff and "SERIAL4471XK" in staff and "BodySerialNumber" in staff
    assert "&lt;script&gt;alert(1)&lt;/script&gt;ModelZ9" in staff and "<script>alert(1)" not in staff
    public = client.get(f"/evidence/{item.id}?lang=ru").get_data(as_text=True)
    assert "SERIAL4471XK" not in public and "Встроенные метаданные" not in public


def test_public_media_and_previews_carry_no_time(app, client, users, incident):
    """Can a visitor learn when a file was uploaded from the Last-Modified, ETag or If-Modified-Since
    answers of its public media and previews?

    Last-Modified would give the upload time to the second; the ETag is a digest of the copy's file
    (its name, which names the original and the redaction decision, and its making), no time in clear."""
    item = published(app, incident, users, JPEG, "photo.jpg")
    for path in (f"/evidence/{item.id}/media", f"/evidence/{item.id}/preview",
                 f"/evidence/{item.id}/preview?clear=1"):
        response = client.get(path)
        assert response.status_code == 200 and "Last-Modified" not in response.headers, path
        etag = response.headers["ETag"].strip('"')
        assert re.fullmatch("[0-9a-f]{32}", etag), etag  # a digest: no time shows through
        again = client.get(path, headers={"If-None-Match": response.headers["ETag"]})
        assert again.status_code == 304
        # A date after the upload must not answer 304: that would tell the time by bisection.
        later = client.get(path, headers={"If-Modified-Since": "Fri, 01 Jan 2100 00:00:00 GMT"})
        assert later.status_code == 200


def viewings(item) -> int:
    return CustodyEvent.select().where((CustodyEvent.item == item.id) & (CustodyEvent.action == "viewed")).count()


def test_a_range_read_past_the_first_byte_is_a_viewing(app, users, incident, as_role):
    """Does reading an original in byte ranges still count as one viewing in its chain of custody?

    ``Range: bytes=1-`` is the whole original less one byte: it is recorded as a viewing."""
    item = attach_file(app, incident, users["contributor"], JPEG, "photo.jpg")
    lawyer = as_role("lawyer")
    response = lawyer.get(f"/evidence/{item.id}/media", headers={"Range": "bytes=1-"})
    assert response.status_code == 206 and response.data == JPEG[1:]
    assert viewings(item) == 1
    assert lawyer.get(f"/evidence/{item.id}/media", headers={"Range": "bytes=0-9"}).status_code == 206
    assert viewings(item) == 1  # the same viewing


def test_a_clear_preview_is_a_viewing(app, users, incident, as_role):
    """Is looking at the unblurred preview of a graphic file recorded as a viewing, and the blurred one
    not?"""
    item = attach_file(app, incident, users["contributor"], JPEG, "photo.jpg", graphic=True)
    lawyer = as_role("lawyer")
    assert lawyer.get(f"/evidence/{item.id}/preview").status_code == 200
    assert viewings(item) == 0  # the blurred preview shows nothing
    assert lawyer.get(f"/evidence/{item.id}/preview?clear=1").status_code == 200
    assert lawyer.get(f"/evidence/{item.id}/preview?clear=1").status_code == 200
    assert viewings(item) == 1


def test_a_viewing_is_recorded_once_per_reader_within_the_window(app, users, incident, as_role):
    """Is a viewing recorded once per reader within a short window, and again for another reader or after
    the window?"""
    item = attach_file(app, incident, users["contributor"], JPEG, "photo.jpg")
    for _ in range(3):
        as_role("lawyer").get(f"/evidence/{item.id}/media", headers={"Range": "bytes=5-"})
    assert viewings(item) == 1
    as_role("reviewer").get(f"/evidence/{item.id}/media")
    assert viewings(item) == 2  # another reader, another viewing
    for event in CustodyEvent.select().where(CustodyEvent.action == "viewed"):
        CustodyEvent.update(created_at=event.created_at - datetime.timedelta(minutes=11)) \
            .where(CustodyEvent.id == event.id).execute()
    as_role("lawyer").get(f"/evidence/{item.id}/media")
    assert viewings(item) == 3  # back after the window: a new viewing


def test_a_public_bundles_derivative_carries_no_metadata(app, client, users, incident, tmp_path):
    """Does a dossier bundle with public redaction carry photo copies stripped of their metadata?"""
    item = published(app, incident, users, tagged_jpeg(), "photo.jpg")
    token = credentials.issue_api_token(users["lawyer"])
    response = client.post("/api/v1/dossiers", headers={"Authorization": f"Bearer {token}"},
                           json={"incident_ids": [incident.id], "include_files": True, "redaction": "public"})
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    name = f"derivatives/{item.stored_file_id}.derivative.jpg"
    assert_nothing_identifying(exiftool(archive.read(name), tmp_path, "bundled.jpg"))


def test_the_public_is_told_the_image_is_a_copy_and_whose_hash_it_reads(app, client, users, incident, as_role):
    """Is a visitor told that the image shown is a copy without embedded metadata, and that the hash shown
    is the original's, while staff are not told so?

    The hash shown is the original's; a visitor who hashes the image they got must not be misled."""
    item = published(app, incident, users, JPEG, "photo.jpg")
    public = client.get(f"/evidence/{item.id}?lang=uk").get_data(as_text=True)
    told = ("Shown here is a copy without the original's embedded metadata. The hash and the size are those of "
            "the original, which only staff handle.")
    signed = "have it trust the site's root certificate:"
    assert "копію без метаданих, вбудованих в оригінал" in public and item.stored_file_id in public
    assert translated(app, told, "uk") in public and "/api/v1/content-credentials?format=pem" in public
    staff = as_role("lawyer").get(f"/evidence/{item.id}?lang=ru").get_data(as_text=True)
    assert translated(app, told, "ru") not in staff and "content-credentials" not in staff and signed not in staff


SECRET = b"SERIAL4471XK +51.5320+046.0340"


def h264_with_units_beside_its_slices() -> bytes:
    """H.264 whose every packet carries an unspecified unit (type 24) and a filler unit (type 12)
    with free text: what a camera or a vendor's telemetry can put there. exiftool sees neither."""
    import av

    def tamper(packet):
        extra = b"\x00\x00\x00\x01\x18" + SECRET + b"\x00\x00\x00\x01\x0c" + SECRET + b"\x80"
        tampered = av.Packet(bytes(packet) + extra)
        tampered.pts, tampered.dts, tampered.time_base = packet.pts, packet.dts, packet.time_base
        tampered.stream, tampered.is_keyframe = packet.stream, packet.is_keyframe
        return tampered
    return make_mp4(codec="libx264", tamper=tamper)


def silence(muxer: str, codec: str, frames: int, samples: int, **options) -> bytes:
    import av
    out = io.BytesIO()
    with av.open(out, "w", format=muxer) as container:
        stream = container.add_stream(codec, rate=44100, options=options)
        stream.layout = "stereo"
        encode_frames(container, stream, frames, samples=samples)
    return out.getvalue()


def mp3_with_a_tag_between_its_frames() -> bytes:
    """MP3 with an ID3v2 tag in the middle of its frames, where a copy of the frames keeps it."""
    frames = silence("mp3", "libmp3lame", 40, 1152)
    middle = frames.find(b"\xff\xfb", len(frames) // 2)
    text = b"TPE1" + struct.pack(">I", len(SECRET) + 1) + b"\x00\x00\x00" + SECRET
    tag = b"ID3\x03\x00\x00" + bytes([0, 0, len(text) >> 7 & 127, len(text) & 127]) + text
    return frames[:middle] + tag + frames[middle:]


def webm_with_vorbis_comments() -> bytes:
    """VP8 and Vorbis in WebM, the Vorbis comment header (in the codec's private data) naming the
    recorder, a place and a serial number."""
    import av
    out = io.BytesIO()
    with av.open(io.BytesIO(silence("ogg", "vorbis", 20, 1024, strict="experimental"))) as source, \
            av.open(out, "w", format="webm") as container:
        vorbis = source.streams.audio[0]
        headers = bytes(vorbis.codec_context.extradata)  # 2, two laced sizes, then the three headers
        first, second = headers[1], headers[2]  # each under 255 bytes here
        identification, setup = headers[3:3 + first], headers[3 + first + second:]
        comment = (b"\x03vorbis" + struct.pack("<I", len(SECRET)) + SECRET + struct.pack("<I", 1)
                   + struct.pack("<I", len(SECRET) + 7) + b"SERIAL=" + SECRET + b"\x01")
        video = container.add_stream("libvpx", rate=12)
        video.width, video.height, video.pix_fmt = 64, 48, "yuv420p"
        audio = container.add_stream_from_template(vorbis)
        audio.codec_context.extradata = b"\x02" + bytes([first, len(comment)]) + identification + comment + setup
        encode_frames(container, video)
        for packet in source.demux(vorbis):
            if packet.dts is not None:
                packet.stream = audio
                container.mux(packet)
    return out.getvalue()


@pytest.mark.parametrize("make, filename", [(h264_with_units_beside_its_slices, "clip.mp4"),
                                            (mp3_with_a_tag_between_its_frames, "voice.mp3"),
                                            (webm_with_vorbis_comments, "clip.webm")])
def test_no_free_text_inside_a_stream_reaches_the_public(app, client, users, incident, make, filename):
    """Can free text hidden inside a media stream, where exiftool does not look, reach a visitor in the
    public copy?

    What exiftool does not read either: units beside H.264's slices, a tag between MP3 frames,
    Vorbis comments in the codec's private data. Not one byte of the secret may survive."""
    original = make()
    assert original.count(SECRET) >= 1
    item = published(app, incident, users, original, filename)
    public = client.get(f"/evidence/{item.id}/media")
    assert public.status_code == 200 and public.mimetype in ("video/mp4", "audio/mp4")
    assert b"SERIAL4471XK" not in public.data and b"51.5320" not in public.data


def test_a_clear_preview_does_not_stand_for_the_original_read_after_it(app, users, incident, as_role):
    """When a reader opens the clear preview and then the original, does the chain of custody record both
    viewings?

    Each is a viewing of its own: the custody log must say that the whole original was read."""
    item = attach_file(app, incident, users["contributor"], JPEG, "photo.jpg", graphic=True)
    lawyer = as_role("lawyer")
    assert lawyer.get(f"/evidence/{item.id}/preview?clear=1").status_code == 200
    assert lawyer.get(f"/evidence/{item.id}/media").status_code == 200
    seen = [event.detail.get("of") for event in item.custody.where(CustodyEvent.action == "viewed")]
    assert sorted(seen) == ["original", "preview"]


def test_a_request_never_makes_the_public_copy_itself(app, client, users, incident):
    """Does a visitor's request decode anything, or is it told at once, in their language, that the copy
    is being prepared, while one job (however many visitors ask) makes it for the next request?

    Making a video's copy may take minutes: a crowd of first requests must not hold every web worker."""
    item = published(app, incident, users, JPEG, "photo.jpg")
    drain = hold_jobs(app)
    answers = [client.get(f"/evidence/{item.id}/media?lang=ru") for _ in range(3)]
    assert [answer.status_code for answer in answers] == [503] * 3
    assert "Попробуйте" in answers[0].get_data(as_text=True)
    page = client.get(f"/evidence/{item.id}?lang=ru").get_data(as_text=True)
    assert translated(app, "A copy to show here is being prepared. This page will show it when it is ready.") in page
    assert 'http-equiv="refresh"' in page
    assert Job.select().where(Job.kind == "derivative").count() == 1
    assert drain() == 1
    assert client.get(f"/evidence/{item.id}/media").status_code == 200
    assert 'http-equiv="refresh"' not in client.get(f"/evidence/{item.id}").get_data(as_text=True)


def test_the_api_asks_the_worker_for_a_public_bundles_copies_and_answers_503_meanwhile(app, client, users,
                                                                                        incident):
    """Does ``POST /api/v1/dossiers`` for a public bundle whose copies are not made yet answer 503 with
    "not_ready" (in the reader's language), record no export, and leave the decoding to one job,
    however often it is asked; and give the bundle once the worker made the copy?"""
    item = published(app, incident, users, JPEG, "photo.jpg")
    drain = hold_jobs(app)
    headers = {"Authorization": f"Bearer {credentials.issue_api_token(users['lawyer'])}", "Accept-Language": "uk"}

    def ask():
        return client.post("/api/v1/dossiers", headers=headers,
                           json={"incident_ids": [incident.id], "include_files": True, "redaction": "public"})
    answers = [ask(), ask()]
    assert [answer.status_code for answer in answers] == [503, 503]
    assert answers[0].get_json()["error"]["code"] == "not_ready"
    assert answers[0].get_json()["error"]["message"] == translated(
        app, "The copies of the evidence for the public are being prepared. Try again in a few minutes.", "uk")
    assert AuditEvent.select().where(AuditEvent.action == "dossier.export").count() == 0
    assert Job.select().where(Job.kind == "derivative").count() == 1
    assert drain() == 1
    bundle = ask()
    assert bundle.status_code == 200
    assert f"derivatives/{item.stored_file_id}.derivative.jpg" in zipfile.ZipFile(io.BytesIO(bundle.data)).namelist()
    assert AuditEvent.select().where(AuditEvent.action == "dossier.export").count() == 1
