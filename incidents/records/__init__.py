"""Incidents and facilities: entering, editing and reading them."""
