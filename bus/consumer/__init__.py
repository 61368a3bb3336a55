"""Write an EventBridge consumer (a Lambda handler) on aws-lambda-powertools.

See docs/toolkit.md. The whole API::

    from bus.consumer import OnFailure, consumer

    @consumer(placed.AWSEvent, on_failure=OnFailure.RETRY)
    def lambda_handler(event: placed.AWSEvent, context: EventContext) -> None: ...
"""

from bus.consumer._dead_letter import DeadLetterQueue
from bus.consumer._handler import DEAD_LETTER_QUEUE_ENV, IDEMPOTENCY_KEY_PATH, ConsumerHandler, consumer
from bus.consumer._persistence import IDEMPOTENCY_DB_ENV, IDEMPOTENCY_TABLE_ENV, persistence_from_env
from bus.consumer._policy import OnFailure, Outcome
from bus.consumer._sqlite import SQLitePersistenceLayer
from bus.consumer.errors import DeadLetterUnavailable, IdempotencyNotConfigured
from bus.producer import EventContext

__all__ = [
    "DEAD_LETTER_QUEUE_ENV",
    "IDEMPOTENCY_DB_ENV",
    "IDEMPOTENCY_KEY_PATH",
    "IDEMPOTENCY_TABLE_ENV",
    "ConsumerHandler",
    "DeadLetterQueue",
    "DeadLetterUnavailable",
    "EventContext",
    "IdempotencyNotConfigured",
    "OnFailure",
    "Outcome",
    "SQLitePersistenceLayer",
    "consumer",
    "persistence_from_env",
]
