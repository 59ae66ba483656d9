"""Charts and the map, drawn on the server as SVG (and bar charts as PNG) with the fonts the
dossiers ship: no script, nothing from another site (floor 5.2). Counts come from ``search``;
this package only draws what it is given. ``boundaries.json`` holds the regions' outlines
(Natural Earth, public domain; made by ``bench/make_boundaries.py``)."""
