"""Finding incidents: filters read from a request, the queries they make, and facet counts (floor 4).

Serves the public list (``public``), the staff's working list (``records``), statistics and exports.
"""
