"""Administration: people and their roles, the organisation profile, and the audit trail's pages (floor 4)."""
