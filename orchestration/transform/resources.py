"""Resources the transform domain needs."""

import sys
from pathlib import Path

from dagster_dbt import DbtCliResource

from orchestration.transform.project import transform_project

# The dbt installed beside this Python, so runs work without an activated venv.
dbt_resource = DbtCliResource(project_dir=transform_project, dbt_executable=str(Path(sys.executable).with_name("dbt")))
