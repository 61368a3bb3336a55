"""The process a handler runs in: the local stand-in for Lambda's Python runtime interface client.

Run as a script (``python _bootstrap.py REQUEST_FD REPLY_FD``), never imported by the engine: it
uses the standard library only, so the handler's process holds nothing but the handler's own
imports, as on Lambda. The parent writes one JSON request a line to REQUEST_FD and reads one JSON
reply a line from REPLY_FD; stdout and stderr belong to the handler and become its log, with the
START / END / REPORT lines Lambda prints around each invocation.

A request: ``{"id": REQUEST_ID, "payload": JSON_TEXT, "trace": X_AMZN_TRACE_ID, "deadline_ms": EPOCH_MS}``.
A reply: ``{"ok": true, "result": JSON_TEXT}`` or ``{"ok": false, "error": {errorMessage, errorType,
stackTrace}}``, with ``init_ms`` (first reply after a cold start) and ``max_rss_kb``.
"""

from __future__ import annotations

import importlib
import json
import os
import resource
import sys
import time
import traceback
from collections.abc import Callable
from typing import Any

Handler = Callable[[Any, Any], Any]


class LambdaContext:
    """The context object Lambda passes as a handler's second argument (the attributes of
    awslambdaric's, as documented in python-context)."""

    def __init__(self, request_id: str, deadline_ms: int) -> None:
        env = os.environ
        self.aws_request_id = request_id
        self.function_name = env["AWS_LAMBDA_FUNCTION_NAME"]
        self.function_version = env["AWS_LAMBDA_FUNCTION_VERSION"]
        self.invoked_function_arn = env["_CHOREO_FUNCTION_ARN"]
        self.memory_limit_in_mb = env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"]
        self.log_group_name = env["AWS_LAMBDA_LOG_GROUP_NAME"]
        self.log_stream_name = env["AWS_LAMBDA_LOG_STREAM_NAME"]
        self.identity = None
        self.client_context = None
        self.tenant_id = None
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self) -> int:
        return max(self._deadline_ms - int(time.time() * 1000), 0)

    def __repr__(self) -> str:
        return (
            f"LambdaContext([aws_request_id={self.aws_request_id},log_group_name={self.log_group_name},"
            f"log_stream_name={self.log_stream_name},function_name={self.function_name},"
            f"memory_limit_in_mb={self.memory_limit_in_mb},function_version={self.function_version},"
            f"invoked_function_arn={self.invoked_function_arn}])"
        )


def _error(exc: BaseException, error_type: str | None = None, message: str | None = None) -> dict[str, Any]:
    stack = traceback.format_list(traceback.extract_tb(exc.__traceback__))
    return {
        "errorMessage": str(exc) if message is None else message,
        "errorType": error_type or type(exc).__name__,
        "requestId": "",
        "stackTrace": stack,
    }


def load_handler(spec: str) -> tuple[Handler | None, dict[str, Any] | None]:
    """``app.handler`` or ``pkg/app.handler`` -> the callable, or the init error Lambda reports."""
    module_name, _, attribute = spec.rpartition(".")
    module_name = module_name.replace("/", ".")
    if not module_name:
        message = f"Bad handler '{spec}': not enough values to unpack (expected 2, got 1)"
        return None, {"errorMessage": message, "errorType": "Runtime.MalformedHandlerName", "stackTrace": []}
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        return None, _error(
            exc, "Runtime.ImportModuleError", f"Unable to import module '{module_name}': {exc}"
        )
    except SyntaxError as exc:
        return None, _error(
            exc, "Runtime.UserCodeSyntaxError", f"Syntax error in module '{module_name}': {exc}"
        )
    except Exception as exc:  # the module's own code failed while loading: Lambda reports it as is
        _print_error(exc)
        return None, _error(exc)
    handler = getattr(module, attribute, None)
    if not callable(handler):
        message = f"Handler '{attribute}' missing on module '{module_name}'"
        return None, {"errorMessage": message, "errorType": "Runtime.HandlerNotFound", "stackTrace": []}
    return handler, None


def _print_error(exc: BaseException) -> None:
    """As Lambda logs an unhandled exception: one ``[ERROR]`` record with the traceback."""
    lines = traceback.format_exception(exc)
    print(f"[ERROR] {type(exc).__name__}: {exc}\n{''.join(lines[:-1]).rstrip()}", file=sys.stdout, flush=True)


def _invoke(handler: Handler, request: dict[str, Any]) -> dict[str, Any]:
    context = LambdaContext(request["id"], int(request["deadline_ms"]))
    try:
        event = json.loads(request["payload"])
    except ValueError as exc:
        return {
            "ok": False,
            "error": _error(exc, "Runtime.UnmarshalError", f"Unable to unmarshal input: {exc}"),
        }
    try:
        result = handler(event, context)
    except Exception as exc:  # the function error Lambda reports: retried by async invocation
        _print_error(exc)
        return {"ok": False, "error": _error(exc)}
    try:
        return {"ok": True, "result": json.dumps(result)}
    except (TypeError, ValueError) as exc:
        message = f"Unable to marshal response: {exc}"
        return {"ok": False, "error": _error(exc, "Runtime.MarshalError", message)}


def _set_path() -> None:
    """``sys.path`` as Lambda sets it: the task root first, then the function's own packages, then
    the project's (in place of Lambda's runtime libraries); never this file's folder."""
    task_root = os.environ["LAMBDA_TASK_ROOT"]
    extra = [p for p in os.environ.pop("_CHOREO_PATH", "").split(os.pathsep) if p]
    here = os.path.dirname(os.path.abspath(__file__))
    rest = [p for p in sys.path if os.path.abspath(p or ".") != here]
    sys.path[:] = [task_root, *extra, *rest]
    os.chdir(task_root)


def main(argv: list[str]) -> int:
    requests = os.fdopen(int(argv[1]), "r", encoding="utf-8")
    replies = os.fdopen(int(argv[2]), "w", encoding="utf-8")
    _set_path()
    for stream in (sys.stdout, sys.stderr):
        stream.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    started = time.monotonic()
    handler, init_error = load_handler(os.environ["_HANDLER"])
    init_ms: float | None = (time.monotonic() - started) * 1000
    version = os.environ["AWS_LAMBDA_FUNCTION_VERSION"]
    for line in requests:
        request = json.loads(line)
        request_id = request["id"]
        if request.get("trace"):
            os.environ["_X_AMZN_TRACE_ID"] = request["trace"]
        else:
            os.environ.pop("_X_AMZN_TRACE_ID", None)
        _forget_trace_entities()
        print(f"START RequestId: {request_id} Version: {version}", flush=True)
        begun = time.monotonic()
        if handler is None:
            assert init_error is not None
            reply: dict[str, Any] = {"ok": False, "error": init_error}
        else:
            reply = _invoke(handler, request)
        duration = (time.monotonic() - begun) * 1000
        if not reply["ok"]:
            reply["error"] = {**reply["error"], "requestId": request_id}
        rss_kb = _peak_rss_kb()
        sys.stdout.flush()
        sys.stderr.flush()
        print(f"END RequestId: {request_id}", flush=True)
        billed = max(1, round(duration + 0.5))
        memory = os.environ["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"]
        report = (
            f"REPORT RequestId: {request_id}\tDuration: {duration:.2f} ms\tBilled Duration: {billed} ms"
            f"\tMemory Size: {memory} MB\tMax Memory Used: {rss_kb // 1024} MB"
        )
        if init_ms is not None:
            report += f"\tInit Duration: {init_ms:.2f} ms"
        print(report, flush=True)
        reply.update(duration_ms=duration, max_rss_kb=rss_kb, init_ms=init_ms)
        init_ms = None
        replies.write(json.dumps(reply) + "\n")
        replies.flush()
    return 0


def _forget_trace_entities() -> None:
    """The X-Ray SDK keeps its Lambda facade segment while the trace root stays the same, which on
    AWS means the same invocation. Here a replayed event (its trace survives the replay) reaches a
    warm worker with the same root and a new parent: without this, the handler's subsegments would
    hang under the first invocation."""
    core = sys.modules.get("aws_xray_sdk.core")
    if core is not None:
        core.xray_recorder.clear_trace_entities()


def _peak_rss_kb() -> int:
    """This process's peak resident memory since it started the handler's interpreter.

    ``VmHWM`` belongs to the process image, so it starts afresh at exec; ``ru_maxrss`` does not on
    Linux (the forked parent's size carries over exec), which made a worker started from a large
    process look as if it had used that much memory itself.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
