"""Great Expectations suites built from suites.yaml on first use (cached), and the pandas batch they validate."""

from __future__ import annotations

import logging
from functools import cache

import great_expectations as gx
import pandas as pd
from great_expectations.core.expectation_suite import ExpectationSuite
from great_expectations.core.expectation_validation_result import ExpectationSuiteValidationResult
from great_expectations.data_context.types.base import ProgressBarsConfig
from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

from quality.config import VolumeRule, suite_configs

VOLUME_RATIO_COLUMN = "ratio_to_trailing_median"


@cache
def _batch_definition():
    """One ephemeral context with a pandas DataFrame asset: the batch each chunk is handed in."""
    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    source = context.data_sources.add_pandas("ecomops_warehouse")
    return source.add_dataframe_asset("rows").add_batch_definition_whole_dataframe("chunk")


def _expectation(kind: str, kwargs: tuple, severity: str):
    return ExpectationConfiguration(
        type=kind, kwargs={k: list(v) if isinstance(v, tuple) else v for k, v in kwargs}, severity=severity
    ).to_domain_obj()


@cache
def expectation_suite(name: str) -> ExpectationSuite:
    """The suite of one table (`raw.taobao_orders`, `marts.fct_orders`)."""
    config = suite_configs()[name]
    return ExpectationSuite(name=name, expectations=[_expectation(*e) for e in config.expectations])


@cache
def volume_suite(name: str, rule: VolumeRule) -> ExpectationSuite:
    """Per business day: rows (or orders) against the trailing median, as a ratio with a floor."""
    return ExpectationSuite(name=f"{name}.volume", expectations=[_expectation(
        "expect_column_values_to_be_between", (("column", VOLUME_RATIO_COLUMN), ("min_value", rule.min_ratio)),
        rule.severity,
    )])


def validate(frame: pd.DataFrame, suite: ExpectationSuite, index_columns: list[str]) -> ExpectationSuiteValidationResult:
    """Validate one DataFrame; failing rows come back identified by `index_columns`."""
    batch = _batch_definition().get_batch(batch_parameters={"dataframe": frame})
    return batch.validate(suite, result_format={
        "result_format": "COMPLETE", "unexpected_index_column_names": index_columns, "partial_unexpected_count": 20,
    })
