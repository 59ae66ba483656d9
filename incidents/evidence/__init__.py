"""Evidence: preserved files, links, provenance and the chain of custody."""
