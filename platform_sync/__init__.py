"""Platform sync: orders and after-sales pulled from the marketplaces' open APIs into the raw layer.

`protocols/` holds each open platform's request protocol as data (`protocol.py` reads it,
`signing.py` signs). The dlt sources, the window walker and the field maps follow.
"""
