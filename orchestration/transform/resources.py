"""Resources the transform domain needs: dbt, run with the environment the settings decide."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

import dagster as dg
from dagster._utils import pushd
from dagster_dbt import DbtCliResource
from dagster_dbt.asset_utils import (
    DBT_INDIRECT_SELECTION_ENV,
    extract_runtime_selection_from_args,
    get_updated_cli_invocation_params_for_context,
)
from dagster_dbt.core.dbt_cli_invocation import DbtCliInvocation

from orchestration.transform.project import transform_project


class TransformDbtResource(DbtCliResource):
    """`DbtCliResource` whose `cli` also takes the environment of the dbt process.

    dagster-dbt 0.29's `cli` gives dbt a copy of `os.environ` and takes no environment of its own
    (dagster-io/dagster#29656, declined: its maintainers set os.environ instead). Settings never go
    through os.environ here, so this is its `cli` with `env` laid over the process environment,
    under dagster-dbt's own variables. Values in `env` (the buyer salt) never reach the logged
    command line. Left out: the in-process dbt adapter dagster-dbt opens for metadata queries,
    which these assets do not make (it would read the profile without `env`).
    """

    def cli_with_env(self, args: Sequence[str], *, env: Mapping[str, str], context: dg.AssetExecutionContext,
                     target_path: Path) -> DbtCliInvocation:
        cleaned_args, selects, excludes = extract_runtime_selection_from_args(args)
        params = get_updated_cli_invocation_params_for_context(
            context=context, manifest=None, dagster_dbt_translator=None,
            runtime_selects=selects, runtime_excludes=excludes)
        project_dir = Path(params.dbt_project.project_dir if params.dbt_project else self.project_dir)
        dbt_env = {
            "PYTHONLEGACYWINDOWSSTDIO": "1",
            **os.environ,
            **env,
            "DAGSTER_DBT_CLI": "true",
            "PYTHONUNBUFFERED": "1",
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            "DBT_LOG_FORMAT": "json",  # the structured logs dagster-dbt turns into events
            "DBT_TARGET_PATH": os.fspath(target_path),
            "DBT_LOG_PATH": os.fspath(target_path),
            **({"DBT_PROFILES_DIR": self.profiles_dir} if self.profiles_dir else {}),
            "DBT_PROJECT_DIR": str(project_dir),
        }
        if params.indirect_selection:  # a subset of the asset's checks: dagster-dbt's selection wins
            dbt_env[DBT_INDIRECT_SELECTION_ENV] = params.indirect_selection
        with pushd(str(project_dir)):
            return DbtCliInvocation.run(
                args=[self.dbt_executable, *self.global_config_flags, *cleaned_args,
                      *(["--profile", self.profile] if self.profile else []),
                      *(["--target", self.target] if self.target else []), *params.selection_args],
                env=dbt_env,
                manifest=params.manifest,
                dagster_dbt_translator=params.dagster_dbt_translator,
                project_dir=project_dir,
                target_path=target_path if target_path.is_absolute() else project_dir / target_path,
                raise_on_error=True,
                context=context,
                adapter=None,
                cli_version=self._cli_version,
                dbt_project=params.dbt_project,
            )


def dbt_resource() -> TransformDbtResource:
    """The dbt installed beside this Python, so runs work without an activated venv."""
    return TransformDbtResource(project_dir=transform_project, dbt_executable=str(Path(sys.executable).with_name("dbt")))
