"""Trusted timestamps (RFC 3161): asking the installation's authority for a token (``authority``),
and the daily stamp of the audit chain's head (``heads``). Floor 5.8: over the audit trail and
the jobs, under the dossiers and the commands that use them. A token is checked by
``dossiers/verify_timestamp.py``, the code that travels in every bundle.
"""
