"""The serving domain: what readers get, after every asset of the other domains.

On DuckDB the serving copy is published; on Postgres (settings.target) readers get a role instead.
"""

from collections.abc import Sequence

import dagster as dg

from ecomops.settings import Settings
from orchestration.serving.assets import reader_grants_asset, serving_copy_asset


def serving_definitions(upstream: Sequence[dg.AssetKey], settings: Settings) -> dg.Definitions:
    """`upstream`: every other asset, so a run publishes only after all of them succeeded."""
    if settings.target == "postgres":
        return dg.Definitions(assets=[reader_grants_asset(upstream, settings)])
    return dg.Definitions(assets=[serving_copy_asset(upstream)])
