"""Fixture handlers for tests/functions: one module, one handler per behaviour."""

import json
import os
import signal
import sys
import time

_LEAKED = []


def ok(event, context):
    """Succeeds; answers with what it saw of Lambda's environment and context."""
    print(f"ok handler got {json.dumps(event)}")
    keys = [
        "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
        "AWS_LAMBDA_FUNCTION_VERSION", "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME",
        "LAMBDA_TASK_ROOT", "_HANDLER", "_X_AMZN_TRACE_ID", "AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID",
        "AWS_XRAY_DAEMON_ADDRESS", "STAGE", "GREETING",
    ]  # fmt: skip
    return {
        "event": event,
        "env": {key: os.environ.get(key) for key in keys},
        "cwd": os.getcwd(),
        "path0": sys.path[0],
        "pid": os.getpid(),
        "context": {
            "function_name": context.function_name,
            "memory_limit_in_mb": context.memory_limit_in_mb,
            "invoked_function_arn": context.invoked_function_arn,
            "aws_request_id": context.aws_request_id,
            "log_group_name": context.log_group_name,
            "log_stream_name": context.log_stream_name,
            "remaining": context.get_remaining_time_in_millis(),
        },
    }


def fail(event, context):
    raise ValueError(f"payment declined for {event.get('order', '?')}")


def behave(event, context):
    """Hangs, exits or crashes when asked; otherwise answers with its pid."""
    action = event.get("action")
    if action == "hang":
        while True:
            time.sleep(0.05)
    if action == "exit":
        os._exit(3)
    if action == "leak":
        _LEAKED.append(bytearray(200 * 2**20))  # touched pages: resident memory
        _LEAKED[-1][::4096] = b"x" * len(range(0, 200 * 2**20, 4096))
    if action == "segv":
        os.kill(os.getpid(), signal.SIGSEGV)
    return {"pid": os.getpid()}
