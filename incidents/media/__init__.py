"""Media: decoders of untrusted files, run apart from the keys (``sandbox``), and what they make."""
