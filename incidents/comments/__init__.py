"""The conversation on an incident between its author and its reviewers: comments and replies,
sealed (a comment may name a witness), never public. ``service`` (floor 4.8) holds the rules and
is called by the workflow, the pages and the API; ``routes`` is the pages' reply form (floor 3)."""
