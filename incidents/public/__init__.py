"""The public site: home, the list of published incidents with its filters and facets, an
incident's and a facility's page, statistics (floor 3). What it shows is asked of ``search``.
"""
