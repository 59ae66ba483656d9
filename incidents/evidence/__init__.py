"""Evidence: preserved files, links, provenance, previews, copies found by perceptual fingerprints,
and the chain of custody (floor 4)."""
