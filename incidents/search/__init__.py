"""Finding published incidents: the public list, filters and facets."""
