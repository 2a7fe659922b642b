"""Structured logging: one JSON object per line, secrets masked.

Why JSON lines: CloudWatch Logs Insights (Glue) and ``jq`` (laptops) can
filter on fields such as ``job`` and ``run_id`` without regexes. Secrets are
masked at the formatter, the one place every record passes through, so no
call site can leak the API key by accident.
"""
from __future__ import annotations

import json
import logging
import re
import sys
import time
from typing import Any

_SECRETS: set[str] = set()
_BEARER = re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+")


def register_secret(value: str | None) -> None:
    """Mask ``value`` in every log line from now on (ignored when short or empty)."""
    if value and len(value) >= 6:
        _SECRETS.add(value)


def mask(text: str) -> str:
    for secret in _SECRETS:
        text = text.replace(secret, "***")
    return _BEARER.sub(r"\1***", text)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        fields = getattr(record, "fields", None)
        if fields:
            payload.update(fields)
        if record.exc_info:
            payload["error"] = self.formatException(record.exc_info)
        return mask(json.dumps(payload, default=str, sort_keys=False))


def get_logger(name: str) -> logging.Logger:
    return logging.getLogger(f"cbbd_etl.{name}" if not name.startswith("cbbd_etl") else name)


def configure(level: str = "INFO", stream: Any = None) -> None:
    """Install the JSON handler on the package logger once (idempotent)."""
    root = logging.getLogger("cbbd_etl")
    root.setLevel(level.upper())
    root.propagate = False
    for h in list(root.handlers):
        if getattr(h, "_cbbd_json", False):
            root.removeHandler(h)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    handler._cbbd_json = True  # type: ignore[attr-defined]
    root.addHandler(handler)


def event(logger: logging.Logger, msg: str, level: int = logging.INFO, **fields: Any) -> None:
    """Log ``msg`` with structured ``fields`` (they become top-level JSON keys)."""
    logger.log(level, msg, extra={"fields": fields})
