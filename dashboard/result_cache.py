"""Query results kept per publication of the marts: the same query on the same data gives the same rows.

A wall screen, a team on the overview and a BI tool polling the API ask the same few queries again and again;
between two runs the answers cannot change. Each published serving copy starts an empty cache, so nothing
outlives the data it was read from. (Postgres marts are not cached: dbt commits one model at a time, so
there is no single moment at which all of them change.) The filter's shop limit is part of the
SQL's parameters, so a cached answer is never served to a user whose limit differs.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence

MAX_RESULTS = 2048


class ResultCache:
    """A bounded, thread-safe LRU of query rows keyed by SQL and parameters."""

    def __init__(self, max_results: int = MAX_RESULTS):
        self._results: OrderedDict[tuple, list[dict]] = OrderedDict()
        self._lock = threading.Lock()
        self._max = max_results

    def rows(self, sql: str, parameters: Sequence | dict | None, fetch: Callable[[], list[dict]]) -> list[dict]:
        """The cached rows of the query, else `fetch()`'s; copies, so a caller's change stays its own."""
        key = (sql, _hashable(parameters))
        with self._lock:
            cached = self._results.get(key)
            if cached is not None:
                self._results.move_to_end(key)
        if cached is None:
            cached = fetch()
            with self._lock:
                self._results[key] = cached
                while len(self._results) > self._max:
                    self._results.popitem(last=False)
        return [dict(row) for row in cached]


def _hashable(parameters: Sequence | dict | None) -> tuple:
    if parameters is None:
        return ()
    if isinstance(parameters, dict):
        return tuple(sorted(parameters.items()))
    return tuple(parameters)
