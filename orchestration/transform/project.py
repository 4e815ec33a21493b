"""The dbt project in transform/. Its manifest is prepared at install time (`make install`), never at import:

    dagster-dbt project prepare-and-package --file orchestration/transform/project.py
"""

from pathlib import Path

from dagster_dbt import DbtProject

TRANSFORM_DIR = Path(__file__).resolve().parents[2] / "transform"

transform_project = DbtProject(project_dir=TRANSFORM_DIR)
