"""The sign-in pages: signing in and out, setting a password from a one-time link, the second
factor (floor 4). What they check is in ``accounts``, below.
"""

from incidents.auth import (
    routes,  # noqa: F401  (the sign-in pages)
    second_factor,  # noqa: F401  (the second-factor pages)
)
from incidents.auth.blueprint import bp  # noqa: F401
