"""The sandbox's side of content credentials: a public copy signed with its C2PA manifest.

Run by the worker (``decoders.TASKS["sign"]``) on a copy the decoders made, never on an original.
The file was written by a child that read a hostile original, so it is parsed here, behind the
walls, and not in the web worker, which holds every other key; this child holds only the key that
signs public copies, and for one file.
"""
import json
import os

# Nothing fetched (the walls leave no network anyway) and nothing made from the pixels: the
# manifest says what was done, a thumbnail would only be one more copy of the picture.
SETTINGS = {"verify": {"remote_manifest_fetch": False, "ocsp_fetch": False},
            "builder": {"thumbnail": {"enabled": False}}}
NAMES = {"image/jpeg": "signed.jpg", "image/png": "signed.png", "video/mp4": "signed.mp4", "audio/mp4": "signed.m4a"}


def sign(kind: str, source: str, out_dir: str, manifest: dict, media_type: str, chain: str, key: str) -> dict:
    """Write ``source`` with ``manifest`` signed by ``key`` (``chain``: its certificates) embedded."""
    import c2pa  # the native library loads only in this task

    name = NAMES[media_type]
    context = c2pa.Context(c2pa.Settings.from_dict(SETTINGS))
    builder = c2pa.Builder(json.dumps(manifest), context=context)
    signer = c2pa.Signer.from_info(c2pa.C2paSignerInfo(b"es256", chain.encode(), key.encode(), None))
    with open(source, "rb") as unsigned, open(os.path.join(out_dir, name), "wb") as signed:
        builder.sign(signer, media_type, unsigned, signed)
    return {"file": name}
