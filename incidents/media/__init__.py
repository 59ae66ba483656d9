"""Media: decoders of untrusted files, run apart from the keys (``sandbox``), and what they make:
previews, public copies, metadata and perceptual fingerprints (floor 8.5: nothing of the
application but the settings it is handed).
"""
