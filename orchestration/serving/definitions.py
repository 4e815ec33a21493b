"""The serving domain: the serving copy, published after every asset of the other domains."""

from collections.abc import Sequence

import dagster as dg

from orchestration.serving.assets import serving_copy_asset


def serving_definitions(upstream: Sequence[dg.AssetKey]) -> dg.Definitions:
    """`upstream`: every other asset, so a run publishes only after all of them succeeded."""
    return dg.Definitions(assets=[serving_copy_asset(upstream)])
