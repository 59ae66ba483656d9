"""Accounts: who a person is and how they prove it (floor 5).

``credentials`` (users, passwords, one-time password links, API tokens), ``two_factor`` (TOTP and
recovery codes), ``sessions`` (a session's life and its end on every device), ``throttle`` (sign-in
attempts counted per account, address and device) and ``devices`` (the signed cookie of a browser
that signed in before). No pages: those are in ``auth``, above.
"""
