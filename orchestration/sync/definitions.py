import dagster as dg

from ecomops.settings import Settings
from orchestration.sync.assets import sync_assets, sync_schedule


def sync_definitions(settings: Settings) -> dg.Definitions:
    assets = sync_assets(settings)
    return dg.Definitions(assets=list(assets.values()), schedules=[sync_schedule(settings, assets)] if assets else [])
