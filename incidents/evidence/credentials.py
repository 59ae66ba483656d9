"""Content credentials on the public's copies: each carries a C2PA manifest signed by the
installation, saying what it was made from (the original's SHA-256), what was done to it
(re-encoded, its metadata left behind, areas destroyed) and when.

The manifest names the installation, never a person: whoever decided the redaction is in the
custody log, which the public does not see. The original goes in as a described ingredient, not as
a file: a file would bring its own metadata and manifests (a phone's, naming who filmed) into the
public's copy. Signed in the sandbox (``media/credentials.py``), which gets the key for that one file,
through a folder of the instance (``scratch``), never the evidence store, which several servers may
share. A recipient checks a copy with any C2PA tool, trusting the root published at
``/api/v1/content-credentials`` (README.md).
"""
from __future__ import annotations

import datetime
import os
from dataclasses import dataclass

from incidents.keys.credentials import Credentials, content_credentials
from incidents.media import sandbox

# What the manifest's own assertion is called: a label of this software's, in C2PA's reverse-domain form.
LABEL = "org.detention-abuse-register.public-copy"
GENERATOR = "Detention Abuse Register"
# Hashing a long video is the only work: the derivative's bounds are ample.
LIMITS = sandbox.DERIVATIVE_LIMITS


@dataclass(frozen=True)
class Signing:
    """Who signs public copies and with what: the credentials, the installation's public address,
    and the instance's folder the key passes through."""

    credentials: Credentials
    installation: str
    scratch: str


def signing(instance_path: str, installation: str) -> Signing:
    """The installation's signing, its credentials made on first use."""
    return Signing(content_credentials(instance_path, installation), installation,
                   os.path.join(instance_path, "signing"))


def manifest(sha256: str, original_type: str, media_type: str, areas: int, installation: str,
             when: datetime.datetime) -> dict:
    """The manifest of a public copy of the original ``sha256`` in which ``areas`` areas were destroyed."""
    moment = when.astimezone(datetime.UTC).isoformat(timespec="seconds")
    # Standard actions with no free text: C2PA tools name them in their reader's language.
    agent = {"name": GENERATOR}
    actions = [{"action": "c2pa.opened", "parameters": {"ingredientIds": ["original"]}, "when": moment},
               {"action": "c2pa.transcoded", "when": moment, "softwareAgent": agent},
               {"action": "c2pa.edited.metadata", "when": moment, "softwareAgent": agent}]
    if areas:
        actions.append({"action": "c2pa.edited", "when": moment, "softwareAgent": agent,
                        "parameters": {"areas_destroyed": areas}})
    return {
        "claim_generator_info": [{"name": GENERATOR}],
        "format": media_type,
        "ingredients": [{"title": sha256, "format": original_type or "application/octet-stream",
                         "relationship": "parentOf", "instance_id": f"sha256:{sha256}", "label": "original"}],
        "assertions": [
            {"label": "c2pa.actions", "data": {"actions": actions}},
            {"label": LABEL, "data": {"original_sha256": sha256, "re_encoded": True, "metadata_removed": True,
                                      "areas_destroyed": areas, "decided_by": installation, "made": moment}},
        ],
    }


def sign(unsigned: str, media_type: str, target: str, what: dict, signing: Signing) -> bool:
    """Write ``unsigned`` (a copy the decoders made) to ``target`` with the manifest ``what`` embedded
    and signed; False when the sandbox could not."""
    outcome = sandbox.run("sign", media_type.split("/")[0], unsigned, signing.scratch, LIMITS, {
        "manifest": what, "media_type": media_type,
        "chain": signing.credentials.chain, "key": signing.credentials.key})
    try:
        name = outcome.result.get("file")
        return outcome.ok and isinstance(name, str) and sandbox.take_output(outcome, name, target)
    finally:
        sandbox.discard(outcome)
