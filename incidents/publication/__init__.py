"""Publication: writing what the public reads, and the indexes kept beside it (floor 5.5).

``projection`` writes and removes the published incident of one approved revision (``workflow``
decides when); with it go its ``search_keys`` (one key per word whatever its script or spelling),
its ``fulltext`` entry, its ``open_data_row`` and the kept ``facet_counts``; ``facet_index`` holds
the published incidents' facets in memory for the list's counts.
"""
