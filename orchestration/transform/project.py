"""The dbt project in transform/. Its manifest is prepared at install time (`make install`), never at import:

    dagster-dbt project prepare-and-package --file orchestration/transform/project.py
"""

import functools
import json
from pathlib import Path

from dagster_dbt import DbtProject

TRANSFORM_DIR = Path(__file__).resolve().parents[2] / "transform"

transform_project = DbtProject(project_dir=TRANSFORM_DIR)


@functools.cache
def incremental_unique_keys() -> dict[tuple[str, str], tuple[str, ...]]:
    """(schema, table) -> unique key of every incremental model dbt updates by delete+insert on that key.

    The serving copy replays those deletes and inserts instead of copying such a table whole.
    """
    manifest = json.loads(transform_project.manifest_path.read_text(encoding="utf-8"))
    keys = {}
    for node in manifest["nodes"].values():
        config = node["config"]
        unique_key = config.get("unique_key")
        # dbt-duckdb's default strategy with a unique key is delete+insert; predicates would narrow the delete
        if (node["resource_type"] == "model" and config.get("materialized") == "incremental" and unique_key
                and config.get("incremental_strategy") in (None, "delete+insert")
                and not config.get("incremental_predicates")):
            keys[(node["schema"], node["alias"])] = (unique_key,) if isinstance(unique_key, str) else tuple(unique_key)
    return keys
