"""Great Expectations suites built from suites.yaml on first use (cached, so suites.yaml is read once per
process), and the pandas batch they validate."""

from __future__ import annotations

import logging
from functools import cache

import great_expectations as gx
import pandas as pd
from great_expectations.core.expectation_suite import ExpectationSuite
from great_expectations.core.expectation_validation_result import ExpectationValidationResult
from great_expectations.data_context.types.base import ProgressBarsConfig
from great_expectations.expectations.expectation import (
    ColumnMapExpectation,
    ColumnPairMapExpectation,
    MulticolumnMapExpectation,
)
from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

from quality.config import SuiteConfig, VolumeRule

VOLUME_RATIO_COLUMN = "ratio_to_trailing_median"
ROW_EXPECTATIONS = (ColumnMapExpectation, ColumnPairMapExpectation, MulticolumnMapExpectation)


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
def expectation_suite(config: SuiteConfig) -> ExpectationSuite:
    """The suite of one table (`raw.taobao_orders`, `marts.fct_orders`)."""
    return ExpectationSuite(name=config.name, expectations=[_expectation(*e) for e in config.expectations])


@cache
def volume_suite(name: str, rule: VolumeRule) -> ExpectationSuite:
    """Per business day: rows (or orders) against the trailing median, as a ratio with a floor."""
    return ExpectationSuite(name=f"{name}.volume", expectations=[_expectation(
        "expect_column_values_to_be_between", (("column", VOLUME_RATIO_COLUMN), ("min_value", rule.min_ratio)),
        rule.severity,
    )])


def _settled_by_screening(screened: ExpectationValidationResult) -> bool:
    """A row expectation that holds with `mostly` 1 has no failing row: that it holds is its whole result."""
    if not screened.success:
        return False
    expectation = screened.expectation_config.to_domain_obj()
    return isinstance(expectation, ROW_EXPECTATIONS) and expectation.mostly == 1


def _held(screened: ExpectationValidationResult, rows: int) -> ExpectationValidationResult:
    """What a full validation gives a settled expectation: every row of the batch counted, none unexpected."""
    return ExpectationValidationResult(success=True, expectation_config=screened.expectation_config,
                                       result={"element_count": rows, "unexpected_count": 0})


def validate_parts(frame: pd.DataFrame, suite: ExpectationSuite,
                   part_rows: list[int]) -> list[list[ExpectationValidationResult]] | None:
    """Each part's results, when `frame` (parts of `part_rows` consecutive rows) settles every expectation; else None.

    One validation instead of one per part: an expectation that holds on every row of the whole holds
    on every row of each part (GE judges rows one by one, and uniqueness over the whole implies it
    over each part), so its full result for a part is that part's row count, none unexpected.
    """
    batch = _batch_definition().get_batch(batch_parameters={"dataframe": frame})
    screened = batch.validate(suite, result_format="BOOLEAN_ONLY").results
    if not all(_settled_by_screening(r) for r in screened):
        return None
    return [[_held(r, rows) for r in screened] for rows in part_rows]


def validate(frame: pd.DataFrame, suite: ExpectationSuite, index_columns: list[str]) -> list[ExpectationValidationResult]:
    """Validate one DataFrame against every expectation of `suite`; failing rows come back identified by `index_columns`.

    GE's cost is per expectation and per metric asked for, whatever the rows: a first pass only asks
    whether each expectation holds, and only those it does not settle are validated again
    for their failing values and rows. Results keep the order GE validates a suite in.
    """
    batch = _batch_definition().get_batch(batch_parameters={"dataframe": frame})
    screened = batch.validate(suite, result_format="BOOLEAN_ONLY").results
    settled = [_settled_by_screening(r) for r in screened]
    again = [r.expectation_config for r, done in zip(screened, settled) if not done]
    detailed = batch.validate(ExpectationSuite(name=suite.name, expectations=again), result_format={
        "result_format": "COMPLETE", "unexpected_index_column_names": index_columns, "partial_unexpected_count": 20,
    }).results if again else []
    return [_held(r, len(frame)) if done else next(d for d in detailed if d.expectation_config == r.expectation_config)
            for r, done in zip(screened, settled)]
