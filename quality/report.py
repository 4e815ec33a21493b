"""Gate results as people read them: a markdown block for Dagster, text lines for the CLI.

The gate masks personal data as it collects values and rows (quality/personal.py): nothing here sees it plain.
"""

from __future__ import annotations

from quality.results import GateResult


def summary(result: GateResult) -> str:
    """One line: what was validated and what failed."""
    if result.error:
        return f"{result.suite}: gate could not run: {result.error}"
    scope = f"{result.rows:,} rows" + (f" from {result.files} files" if result.files else "")
    if not result.rows:
        return f"{result.suite}: no new rows to validate"
    if result.passed:
        return f"{result.suite}: {scope} passed {len(result.outcomes)} expectations"
    parts = [f"{o.expectation} [{o.severity}]: {o.unexpected_count:,} rows" for o in result.failures]
    return f"{result.suite}: {scope}, {len(result.failures)} expectations failed: " + "; ".join(parts)


def failures_markdown(result: GateResult) -> str:
    lines = ["| expectation | severity | failing rows | observed values |", "|---|---|---|---|"]
    for o in result.failures:
        values = ", ".join(f"`{v}` ×{n}" for v, n in o.unexpected_values.most_common(10))
        lines.append(f"| `{o.expectation}` | {o.severity} | {o.unexpected_count:,} of {o.element_count:,} | {values} |")
    return "\n".join(lines)


def samples_markdown(result: GateResult) -> str:
    blocks = []
    for o in result.failures:
        if not o.sample_rows:
            continue
        columns = list(dict.fromkeys(c for r in o.sample_rows for c in r))
        blocks += [f"**{o.expectation}**", "", "| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
        blocks += ["| " + " | ".join(str(r.get(c, "")) for c in columns) + " |" for r in o.sample_rows]
        blocks.append("")
    return "\n".join(blocks)


def text_report(result: GateResult) -> list[str]:
    """Lines for the terminal: the summary, then per failed expectation its values and masked sample rows."""
    status = "ERROR" if result.blocks else "WARN " if result.failures else "ok   "
    lines = [f"{status} {summary(result)} ({result.seconds:.2f}s)"]
    for o in result.failures:
        values = ", ".join(f"{v} ×{n}" for v, n in o.unexpected_values.most_common(10))
        lines.append(f"        {o.severity:<8} {o.expectation}: {o.unexpected_count:,} of {o.element_count:,} rows; observed {values}")
        lines += ["                 " + ", ".join(f"{k}={v}" for k, v in r.items()) for r in o.sample_rows[:3]]
    if result.quarantined:
        lines.append(f"        {result.quarantined:,} rows copied to quarantine.{result.suite.split('.', 1)[1]}")
    return lines
