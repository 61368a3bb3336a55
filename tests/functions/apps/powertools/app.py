"""A Powertools consumer: structured logs with the Lambda context, and the Tracer."""

from aws_lambda_powertools import Logger, Tracer

logger = Logger(service="tests")
tracer = Tracer(service="tests")


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(event, context):
    logger.info("handled", extra={"order": event.get("order")})
    return {"cold": True}
