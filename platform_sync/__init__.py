"""Platform sync: orders and after-sales pulled from the marketplaces' open APIs into the raw layer.

`protocols/` holds each open platform's request protocol and APIs as data (`protocol.py`, `apis.py`), `client.py`
makes one shop's signed calls and acts on the platforms' errors, `reading.py` walks closed windows and pages,
`fieldmaps/` map API records onto the canonical raw columns (`fieldmap.py`), `source.py` is the dlt source and
`sync.py` runs it into the warehouse. See docs/platform-sync.md.
"""

from platform_sync.client import SyncError, SyncStats
from platform_sync.source import platform_source, sync_source
from platform_sync.sync import sync_platform

__all__ = ["SyncError", "SyncStats", "platform_source", "sync_platform", "sync_source"]
