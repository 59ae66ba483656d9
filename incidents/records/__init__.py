"""Incidents and facilities as staff enter, edit and read them: pages, forms, input cleaning and
the services the API calls too (floor 3).
"""
