"""Logging of the web server with the secrets taken out.

Confirm, unsubscribe and preferences links carry signed tokens in their path, so do the
editors' approve links, and provider webhooks may carry the shared secret as ``?token=``.
Whoever reads the access log must not be able to unsubscribe, erase or export a reader, nor
approve an issue, so :class:`RedactSecrets` rewrites every
log record of the ``uvicorn.access``, ``uvicorn.error`` and ``newsletter`` loggers:
``/preferences/<token>``
becomes ``/preferences/[redacted]`` and ``token=…`` (also ``key``, ``secret``,
``signature``) becomes ``token=[redacted]``. :func:`uvicorn_log_config` is uvicorn's own
logging configuration with that filter installed (and the app's own log lines sent to the
same stream); ``newsletter serve`` passes it to uvicorn.
"""

from __future__ import annotations

import copy
import logging
import re
from typing import Any

REDACTED = "[redacted]"
_TOKEN_PATH = re.compile(r"(/(?:confirm|unsubscribe|preferences|approve)/)[^/?#\s\"]+")
_SECRET_PARAM = re.compile(r"([?&;](?:token|key|secret|signature|sig)=)[^&#\s\"]*", re.IGNORECASE)


def redact(text: str) -> str:
    """``text`` with link tokens and secret query parameters replaced by ``[redacted]``."""
    return _SECRET_PARAM.sub(rf"\g<1>{REDACTED}", _TOKEN_PATH.sub(rf"\g<1>{REDACTED}", text))


class RedactSecrets(logging.Filter):
    """Redacts tokens and secrets in a record's message and string arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {
                k: redact(v) if isinstance(v, str) else v for k, v in record.args.items()
            }
        return True


def uvicorn_log_config() -> dict[str, Any]:
    """uvicorn's default logging configuration, with :class:`RedactSecrets` on its loggers."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["redact"] = {"()": f"{__name__}.RedactSecrets"}
    for name in ("uvicorn.access", "uvicorn.error"):
        config["loggers"].setdefault(name, {}).setdefault("filters", []).append("redact")
    # the app's own lines (failed sign-up emails, rejected webhook events) beside uvicorn's
    config["loggers"]["newsletter"] = {
        "handlers": ["default"],
        "level": "INFO",
        "propagate": False,
        "filters": ["redact"],
    }
    return config
