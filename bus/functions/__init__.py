"""A local Lambda runtime for the template's functions: no Docker, real processes.

Every AWS::Serverless::Function runs its handler in a pool of worker processes (its
ReservedConcurrentExecutions, else ``default_concurrency``) with the environment, context object,
timeout, X-Ray segments and logs Lambda gives it; asynchronous invocations (what EventBridge makes)
are durable and retried, then sent to the function's destinations or dead-letter queue, as on AWS.
``LocalBus`` builds one and registers the template's functions (``bus.functions``); see
docs/lambda-runtime.md.

    record = bus.functions.invoke("inventory", {"detail-type": "OrderPlaced", "detail": {...}})
    assert record.status is InvocationStatus.SUCCESS, record.error
"""

from bus.functions._logs import LogLine, follow_log, log_path, read_log
from bus.functions._queue import AWS_RETRY_DELAYS
from bus.functions._records import InvocationRecord, InvocationStatus
from bus.functions._runtime import LambdaRuntime
from bus.functions._spec import Credentials, FunctionSpec, InvokeConfig
from bus.functions.errors import (
    DependencyError,
    FunctionConfigError,
    FunctionNotFound,
    FunctionThrottled,
    LambdaRuntimeError,
)

__all__ = [
    "AWS_RETRY_DELAYS",
    "Credentials",
    "DependencyError",
    "FunctionConfigError",
    "FunctionNotFound",
    "FunctionSpec",
    "FunctionThrottled",
    "InvocationRecord",
    "InvocationStatus",
    "InvokeConfig",
    "LambdaRuntime",
    "LambdaRuntimeError",
    "LogLine",
    "follow_log",
    "log_path",
    "read_log",
]
