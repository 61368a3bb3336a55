"""CloudWatch Logs log groups: each delivered event becomes one log event, one JSON line in a file.

The log group must exist as a store resource of kind ``log_group`` keyed by its name. Its events go
to ``<data_dir>/logs/<quoted name>.jsonl``, each line ``{"timestamp": <ms>, "message": <body>}``
(the shape GetLogEvents returns). Names are percent-quoted (``/aws/events/orders`` becomes
``%2Faws%2Fevents%2Forders.jsonl``) so every log group is one flat, unambiguous file.
"""

from __future__ import annotations

import json
import re
import threading
from pathlib import Path
from urllib.parse import quote

from bus.engine.targets.base import ErrorCode, SendContext, SendResult, TargetKind, arn_resource
from bus.model import Event, Target

__all__ = ["LOG_GROUP_KIND", "LogsKind", "log_file", "log_group_name"]

LOG_GROUP_KIND = "log_group"


def log_group_name(arn: str) -> str:
    """``arn:aws:logs:us-east-1:123456789012:log-group:/aws/events/orders:*`` -> ``/aws/events/orders``."""
    resource = arn_resource(arn)
    name = resource.removeprefix("log-group:")
    return name.removesuffix(":*")


def log_file(data_dir: Path, group: str) -> Path:
    return data_dir / "logs" / f"{quote(group, safe='')}.jsonl"


class LogsKind(TargetKind):
    name = "logs"
    arn_pattern = re.compile(r"arn:aws[a-z-]*:logs:")

    def __init__(self) -> None:
        self._lock = threading.Lock()  # appends from concurrent deliveries must not interleave

    def send(self, ctx: SendContext, target: Target, event: Event, body: str) -> SendResult:
        group = log_group_name(target.arn)
        if ctx.store.get_resource(LOG_GROUP_KIND, group) is None:
            return SendResult.failed(
                ErrorCode.NO_RESOURCE, f"The specified log group does not exist: {group}", retryable=False
            )
        path = log_file(ctx.engine.data_dir, group)
        line = json.dumps({"timestamp": int(ctx.clock.now() * 1000), "message": body}, ensure_ascii=False)
        try:
            with self._lock:
                path.parent.mkdir(parents=True, exist_ok=True)
                with path.open("a", encoding="utf-8") as out:
                    out.write(line + "\n")
        except OSError as exc:
            return SendResult.failed(
                ErrorCode.INTERNAL_ERROR, f"Could not write {path}: {exc}", retryable=True
            )
        return SendResult.ok()
