"""Structured logs: one JSON object per line, carrying `document_id` and `step` when the caller gives them.

    log.info("processed", extra={"document_id": 12, "step": "store", "ms": 41.2})
"""

from __future__ import annotations

import json
import logging
import os
import sys
from datetime import UTC, datetime

_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "pid": record.process,
            "msg": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


class QueueRepeats(logging.Filter):
    """The queue's own loops (Huey) log the same error every second while, e.g., the disk is full: each such
    message passes once per `every_s`, carrying how many times it was held back meanwhile (`repeated`)."""

    def __init__(self, every_s: float = 60.0):
        super().__init__()
        self.every_s = every_s
        self._seen: dict[tuple[str, object], tuple[float, int]] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        if not record.name.startswith("huey") or record.levelno < logging.WARNING:
            return True
        key = (record.name, record.msg)
        last, held = self._seen.get(key, (None, 0))
        if last is not None and record.created - last < self.every_s:
            self._seen[key] = (last, held + 1)
            return False
        if held:
            record.repeated = held
        self._seen[key] = (record.created, 0)
        return True


def configure(level: str | None = None) -> None:
    """JSON lines on stderr for the whole process (the worker calls this at start)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(QueueRepeats())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level or os.environ.get("DOCDESK_LOG_LEVEL", "INFO"))
    logging.getLogger("alembic").setLevel(logging.WARNING)
