"""The simulator as a real HTTP server on 127.0.0.1: a ThreadingHTTPServer in a thread, on a free port."""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from demo_data import DEFAULT_START, order_history

from .simulator import Simulator

SHANGHAI = dt.timezone(dt.timedelta(hours=8))


class _Handler(BaseHTTPRequestHandler):
    """Every platform answers in HTTP 200 with a JSON body, errors included."""

    simulator: Simulator  # set on the subclass each server makes

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        length = int(self.headers.get("Content-Length") or 0)
        self._reply(self.rfile.read(length) if length else b"")

    def do_GET(self) -> None:  # noqa: N802
        self._reply(b"")

    def _reply(self, body: bytes) -> None:
        url = urlsplit(self.path)
        answer = self.simulator.answer(url.path, dict(parse_qsl(url.query, keep_blank_values=True)), body,
                                       self.headers.get("Content-Type") or "")
        data = json.dumps(answer, ensure_ascii=False).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json;charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args) -> None:  # noqa: A002
        """Quiet: tests read the simulator's journal, not stderr."""


@lru_cache(maxsize=4)
def _history(shops: int, days: int, start: date, seed: int) -> list:
    """The order book, drawn once per arguments: the simulator only reads it (its faults live beside it)."""
    return order_history(shops, days, start, seed)


@contextmanager
def running_simulator(shops: int = 10, days: int = 3, seed: int = 7, start: date | None = None,
                      now: dt.datetime | None = None, *, port: int = 0,
                      follow_wall: bool = False) -> Iterator[Simulator]:
    """Serve the order book `demo_data.generate(shops, days, start, seed)` writes, until the block ends, on
    `port` (0: a free one). The clock starts at `now` (default: 10:00 Shanghai time the day after the last
    day) and stands still unless `follow_wall`."""
    start = start or DEFAULT_START
    if now is None:
        now = dt.datetime.combine(start + dt.timedelta(days=days), dt.time(10), SHANGHAI).astimezone(dt.timezone.utc)
    simulator = Simulator(_history(shops, days, start, seed), now, follow_wall)
    handler = type("Handler", (_Handler,), {"simulator": simulator})
    server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    simulator.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), name="platform-simulator", daemon=True)
    thread.start()
    try:
        yield simulator
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
