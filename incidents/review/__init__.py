"""The review queue and the buttons that move incidents through the workflow (floor 3)."""
