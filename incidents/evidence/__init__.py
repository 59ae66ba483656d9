"""Evidence: preserved files, links, provenance, previews and the chain of custody (floor 4)."""
