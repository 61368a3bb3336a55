"""Lambda functions: invoked asynchronously through the engine's ``FunctionInvoker``.

EventBridge invokes Lambda asynchronously, so an error *inside* the function is Lambda's to retry
(its own async retries and destinations), never an EventBridge retry. Only a failure to invoke counts:
a missing function (NO_RESOURCE, not retried), throttling (retried), anything else (retried).
"""

from __future__ import annotations

import re

from bus.engine.targets.base import (
    ErrorCode,
    FunctionNotFound,
    FunctionThrottled,
    SendContext,
    SendResult,
    TargetKind,
)
from bus.model import Event, Target

__all__ = ["LambdaKind"]


class LambdaKind(TargetKind):
    name = "lambda"
    arn_pattern = re.compile(r"arn:aws[a-z-]*:lambda:")

    def send(self, ctx: SendContext, target: Target, event: Event, body: str) -> SendResult:
        invoker = ctx.engine.invoker
        if invoker is None:
            return SendResult.failed(
                ErrorCode.NO_RESOURCE,
                f"Function not found: {target.arn} (no Lambda runtime)",
                retryable=False,
            )
        try:
            invoker.invoke_async(target.arn, body, trace_header=event.trace_header)
        except FunctionNotFound:
            return SendResult.failed(
                ErrorCode.NO_RESOURCE, f"Function not found: {target.arn}", retryable=False
            )
        except FunctionThrottled as exc:
            return SendResult.failed(ErrorCode.THROTTLING, f"Rate exceeded: {exc}", retryable=True)
        except Exception as exc:  # the runtime failed to take the invocation: try again later
            return SendResult.failed(ErrorCode.INTERNAL_ERROR, f"{type(exc).__name__}: {exc}", retryable=True)
        return SendResult.ok()
