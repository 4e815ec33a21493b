"""What a gate found, as plain values: the gates fill these in, the reports and asset checks read them."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

BLOCKING_SEVERITY = "critical"


@dataclass
class ExpectationOutcome:
    """One expectation's result over every chunk of the batch; personal values in it are already masked."""

    expectation: str
    severity: str
    element_count: int = 0
    unexpected_count: int = 0
    unexpected_values: Counter = field(default_factory=Counter)
    sample_rows: list[dict] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return self.unexpected_count > 0


@dataclass
class GateResult:
    """What a suite found in one batch: per-expectation outcomes, the rows it quarantined, its cost."""

    suite: str
    rows: int = 0
    files: int = 0
    load_ids: list[str] = field(default_factory=list)
    outcomes: dict[str, ExpectationOutcome] = field(default_factory=dict)
    quarantined: int = 0
    seconds: float = 0.0
    error: str | None = None

    @property
    def failures(self) -> list[ExpectationOutcome]:
        return [o for o in self.outcomes.values() if o.failed]

    @property
    def blocking_failures(self) -> list[ExpectationOutcome]:
        return [o for o in self.failures if o.severity == BLOCKING_SEVERITY]

    @property
    def blocks(self) -> bool:
        return self.error is not None or bool(self.blocking_failures)

    @property
    def passed(self) -> bool:
        return self.error is None and not self.failures
