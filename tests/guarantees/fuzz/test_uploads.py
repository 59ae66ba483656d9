"""Fuzzing the resumable uploads: any header a client may send when it begins an upload, and any part,
at any offset, of any type, when it sends one."""
from __future__ import annotations

import base64
import os

from hypothesis import example, given
from hypothesis import strategies as st

from incidents.models import Upload
from incidents.uploads import service
from tests.guarantees.fuzz.expectations import api_refusal, assert_unchanged, db_state, tally
from tests.guarantees.fuzz.strategies import fuzz

TUS = {"Tus-Resumable": "1.0.0"}
OFFSET_TYPE = "application/offset+octet-stream"
# What an HTTP header can carry: no line breaks, Latin-1 only.
header_text = st.text(st.characters(min_codepoint=32, max_codepoint=255), max_size=40)
lengths = st.one_of(header_text, st.integers(-5, 2**70).map(str))
metadata = st.one_of(header_text, st.lists(st.tuples(
    st.one_of(st.text("abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=10), st.sampled_from(["form", "head"])),
    st.one_of(st.text(max_size=30).map(lambda value: base64.b64encode(value.encode("utf-8", "surrogatepass")).decode()),
              header_text.filter(lambda value: "," not in value))), max_size=3).map(
    lambda pairs: ",".join(f"{key} {value}" for key, value in pairs)))


def readable(value: str) -> bool:
    """Metadata the server takes: base64 of text, and a ``form`` or ``head`` it knows the shape of."""
    try:
        pairs = {}
        for part in value.split(","):
            key, _sep, encoded = part.strip().partition(" ")
            if key:
                pairs[key] = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        return False
    return bool(service.FORMS.match(pairs.get("form", ""))) and bool(service.HEAD.match(pairs.get("head", "")))


@fuzz(40)
@given(length=lengths, meta=metadata)
@example(length="10", meta="filename " + base64.b64encode("видео.mp4".encode()).decode())
@example(length="0", meta="")
@example(length="99999999999999999999", meta="")
def test_api_upload_begin(world, length, meta):
    """Does beginning an upload refuse a length that is no size in bytes, or too large, and metadata that
    is not base64 of text, each with a JSON refusal that left nothing behind, and begin it otherwise?"""
    maximum = world.app.config["SETTINGS"].EVIDENCE_MAX_SIZE
    usable = length.isascii() and length.isdecimal() and len(length) <= 20 and 1 <= int(length) <= maximum
    before = db_state()
    response = world.client.post("/api/v1/uploads", headers={**world.tokens["contributor"], **TUS,
                                                             "Upload-Length": length, "Upload-Metadata": meta})
    tally("upload begin", usable and readable(meta))
    if usable and readable(meta):
        assert response.status_code == 201, response.get_json()
        Upload.delete().execute()  # the next example starts from no upload, as the limit counts them
    else:
        api_refusal(response)
        assert_unchanged(before)


@fuzz(40)
@given(offset=st.one_of(st.integers(-2, 12).map(str), header_text), body=st.binary(max_size=16),
       kind=st.sampled_from([OFFSET_TYPE, OFFSET_TYPE, "application/octet-stream", "text/plain", ""]))
@example(offset="0", body=b"0123456789", kind=OFFSET_TYPE)
@example(offset="0", body=b"0123456789x", kind=OFFSET_TYPE)
def test_api_upload_parts(world, offset, body, kind):
    """Is a part refused, with nothing of it kept, unless it comes as the protocol's type, at the offset
    the server holds and within the declared length; and written otherwise?"""
    headers = {**world.tokens["contributor"], **TUS}
    created = world.client.post("/api/v1/uploads", headers={**headers, "Upload-Length": "10"})
    path = created.headers["Location"].split("localhost", 1)[1]
    folder = os.path.join(world.app.config["SETTINGS"].EVIDENCE_DIR, "uploads")
    token = path.rsplit("/", 1)[1]
    usable = kind == OFFSET_TYPE and offset == "0" and len(body) <= 10
    before = db_state()
    response = world.client.patch(path, data=body, headers={**headers, "Upload-Offset": offset, "Content-Type": kind})
    tally("upload part", usable)
    if usable:
        assert response.status_code == 204 and response.headers["Upload-Offset"] == str(len(body))
        assert os.path.getsize(os.path.join(folder, token)) == len(body)
    else:
        api_refusal(response)
        assert_unchanged(before)
        assert os.path.getsize(os.path.join(folder, token)) == 0
    assert world.client.delete(path, headers=headers).status_code == 204


@fuzz(20)
@given(token=st.text(st.characters(min_codepoint=33, max_codepoint=126, exclude_characters="/?#%"), max_size=60))
def test_api_upload_cancel(world, token):
    """Does cancelling an upload that is not the caller's (any token) answer 404 and change nothing?"""
    before = db_state()
    response = world.client.delete(f"/api/v1/uploads/{token}", headers={**world.tokens["contributor"], **TUS})
    assert response.status_code in (404, 405), response.status_code
    assert_unchanged(before)
