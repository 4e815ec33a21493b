"""Semantic layer: metric queries answered from dbt's MetricFlow semantic manifest, read-only, for readers.

    from semantic import semantic_layer
    layer = semantic_layer(manifest_path)          # built once per manifest
    layer.catalog()                                # metrics, dimensions, time grains
    layer.query(connection, metrics=["paid_amount", "aov"], group_by=["metric_time__week", "shop__platform"],
                filters=[("shop__platform", "in", ["tmall", "jd"])])   # a pyarrow.Table

See semantic/README.md.
"""

from semantic.export import to_csv, to_xlsx
from semantic.layer import SemanticLayer, semantic_layer

__all__ = ["SemanticLayer", "semantic_layer", "to_csv", "to_xlsx"]
