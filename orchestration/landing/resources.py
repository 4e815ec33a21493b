"""Resources the landing domain needs."""

from dagster_dlt import DagsterDltResource

dlt_resource = DagsterDltResource()
