"""JSON answers written by orjson: the same text as Flask's own provider with this app's choices
(UTF-8, keys in the order given, compact), in a quarter of the time; only a number with an exponent
is written differently, the same number (1e-7, where Python writes 1e-07). A list of 50 incidents
spent 0.7 of its 3 ms of CPU in the standard library's encoder (bench/README.md, throughput.py).

Requests are still read by the standard library: orjson refuses some text the standard library
takes (a lone surrogate in a string), and what the API answers to hostile input is tested as it is.
"""
from __future__ import annotations

from typing import Any

import orjson
from flask.json.provider import DefaultJSONProvider

# Keys that are not strings written as the standard library writes them ({1: ...} -> {"1": ...});
# dates, times and dataclasses handed to ``default`` as Flask's provider does (HTTP dates, asdict).
OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


class FastJSONProvider(DefaultJSONProvider):
    # UTF-8: Cyrillic stays readable (and searchable) in API answers and exports.
    ensure_ascii = False
    sort_keys = False

    def response(self, *args: Any, **kwargs: Any):
        """What ``jsonify`` answers. (``dumps``, for templates' ``tojson`` and the like, is still the
        standard library's, spaces after commas and colons included.)"""
        if self.compact is False or (self.compact is None and self._app.debug):  # Flask's own test
            return super().response(*args, **kwargs)  # debug mode's indented layout
        obj = self._prepare_response_obj(args, kwargs)
        return self._app.response_class(orjson.dumps(obj, default=self.default, option=OPTIONS) + b"\n",
                                        mimetype=self.mimetype)
