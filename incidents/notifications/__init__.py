"""What a person is told about the incidents they work on: returned to them, submitted for their
review, a new comment where they take part, a possible duplicate of theirs. ``service`` writes and
reads notifications (floor 4.9), ``mail`` e-mails them when the installation can send mail, and
``routes`` is the page (floor 3). Nobody is ever told about an incident they may not read."""
