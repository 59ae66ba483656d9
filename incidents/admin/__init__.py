"""Administration: people, their roles, and the audit trail's pages (floor 4)."""
