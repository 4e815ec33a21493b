"""Raw tables: one Dagster asset per table the landing source loads (dagster-dlt)."""

from collections.abc import Iterator
from functools import cache

import dagster as dg
from dagster_dlt import DagsterDltResource, DagsterDltTranslator, build_dlt_asset_specs
from dagster_dlt.translator import DltResourceTranslatorData
from dlt.pipeline.exceptions import PipelineStepFailed

from ecomops.settings import Settings
from ingestion.api_tables import create_api_tables
from ingestion.landing import RegistryError
from ingestion.mapping import ExportMapping, load_mappings
from ingestion.pipeline import RAW_DATASET, landing_pipeline
from ingestion.source import SHOPS_TABLE, IngestReport, landing_source
from orchestration.lib.warehouse import WAREHOUSE_POOL, WarehouseResource

RAW_GROUP = "raw"
# Reading a landing folder on a network share or a file still being copied can fail
# transiently; a file that is simply broken is quarantined instead, so retries stay cheap.
INGEST_RETRY_POLICY = dg.RetryPolicy(max_retries=3, delay=15, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS)


class RawTableTranslator(DagsterDltTranslator):
    """Asset key `raw/<table>`: the key dbt's `source('raw', <table>)` resolves to."""

    def __init__(self, mappings: dict[str, ExportMapping], target: str):
        self.mappings, self.target = mappings, target

    def get_asset_spec(self, data: DltResourceTranslatorData) -> dg.AssetSpec:
        table = data.resource.name
        mapping = self.mappings.get(table)
        description = (
            f"{mapping.export} files from the landing folder ({mapping.source_path.parent.name}/{mapping.source_path.name})"
            if mapping else "Shops registered in the landing folder's shops.yaml"
        )
        return super().get_asset_spec(data).replace_attributes(
            key=dg.AssetKey([RAW_DATASET, table]),
            deps=[],
            group_name=RAW_GROUP,
            description=description,
            kinds={"dlt", self.target},
            tags={"platform": mapping.platform} if mapping else {},
        )


def _cause_of_type(error: BaseException, wanted: type[BaseException]) -> BaseException | None:
    while error is not None and not isinstance(error, wanted):
        error = error.__cause__ or error.__context__
    return error


def _file_outcomes_metadata(report: IngestReport, table: str) -> dict:
    outcomes = report.for_table(table)
    rejected = [o for o in outcomes if o["status"] == "rejected"]
    metadata = {
        "files_loaded": sum(o["status"] == "loaded" for o in outcomes),
        "files_duplicate": sum(o["status"] == "duplicate" for o in outcomes),
        "files_rejected": len(rejected),
    }
    if rejected:
        metadata["rejected_files"] = dg.MetadataValue.md("\n".join(f"- {o['reason']}" for o in rejected))
    return metadata


@cache
def landing_assets(settings: Settings) -> dg.AssetsDefinition:
    """One asset per raw table the landing source of `settings` loads; each run loads from the resource's paths."""

    @dg.multi_asset(  # what @dlt_assets builds, plus a retry policy
        specs=build_dlt_asset_specs(
            dlt_source=landing_source(str(settings.landing), str(settings.quarantine), str(settings.mappings),
                                      default_timezone=settings.business_timezone),
            dlt_pipeline=landing_pipeline(settings),
            dagster_dlt_translator=RawTableTranslator(load_mappings(settings.mappings).by_table, settings.target),
        ),
        name="landing_files",
        can_subset=True,
        pool=WAREHOUSE_POOL,
        retry_policy=INGEST_RETRY_POLICY,
    )
    def raw_tables(context: dg.AssetExecutionContext, dlt: DagsterDltResource,
                   warehouse: WarehouseResource) -> Iterator:
        """Parse new or changed landing files and merge them into the raw tables."""
        paths = warehouse.settings
        report = IngestReport()
        source = landing_source(str(paths.landing), str(paths.quarantine), str(paths.mappings),
                                default_timezone=settings.business_timezone, report=report)
        try:
            results = list(dlt.run(context, dlt_source=source,
                                   dlt_pipeline=landing_pipeline(paths)))
        except PipelineStepFailed as failure:
            registry_error = _cause_of_type(failure, RegistryError)
            if registry_error is None:
                raise  # possibly transient: the retry policy applies
            raise dg.Failure(description=str(registry_error), allow_retries=False) from failure
        created = create_api_tables(paths, paths.mappings)
        if created:
            context.log.info(f"created the empty platform-API tables {', '.join(created)} (filled by platform sync)")
        yield from _materializations(context, warehouse, report, results)

    return raw_tables


def _materializations(context: dg.AssetExecutionContext, warehouse: WarehouseResource, report: IngestReport,
                      results: list) -> Iterator[dg.MaterializeResult]:
    counts = warehouse.row_counts(RAW_DATASET)
    for outcome in report.rejected():
        context.log.warning(f"rejected {outcome['reason']}")
    for result in results:
        table = result.asset_key.path[-1]
        yield dg.MaterializeResult(
            asset_key=result.asset_key,
            metadata={
                **(result.metadata or {}),
                **_file_outcomes_metadata(report, table),
                "dagster/row_count": counts.get(table, 0),
            },
        )
    context.log.info(
        f"{len(report.outcomes)} files processed, {len(report.rejected())} rejected; "
        f"raw shops table: {counts.get(SHOPS_TABLE, 0)} shops"
    )
