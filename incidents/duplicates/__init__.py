"""Likely duplicate incidents, and what people decided about them (floor 3.5).

``likeness`` scores two incidents (facility, dates with their precision, title, narrative and
people through the search keys, so across scripts); ``service`` finds an incident's likely
duplicates among those a reader may read, records "same event" and "not a duplicate", and gives
``found_for``, the hook for telling an author of a possible duplicate of theirs. Pages (records,
review) and the API call it; statistics count same-event groups once (``search/events.py``).
"""
