"""Which idempotency store a consumer uses, from its environment.

``CHOREO_IDEMPOTENCY_DB`` wins over ``IDEMPOTENCY_TABLE``: the local runtime runs functions with
the environment template.yaml gives them (which names the DynamoDB table for AWS) and adds the
SQLite path, and there is no DynamoDB behind ``choreo serve``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from aws_lambda_powertools.utilities.idempotency import BasePersistenceLayer, DynamoDBPersistenceLayer

from bus.consumer._sqlite import SQLitePersistenceLayer
from bus.consumer.errors import IdempotencyNotConfigured

__all__ = ["IDEMPOTENCY_DB_ENV", "IDEMPOTENCY_TABLE_ENV", "persistence_from_env"]

IDEMPOTENCY_DB_ENV = "CHOREO_IDEMPOTENCY_DB"
IDEMPOTENCY_TABLE_ENV = "IDEMPOTENCY_TABLE"


def persistence_from_env(environ: Mapping[str, str] = os.environ) -> BasePersistenceLayer:
    path = environ.get(IDEMPOTENCY_DB_ENV)
    if path:
        return SQLitePersistenceLayer(path)
    table = environ.get(IDEMPOTENCY_TABLE_ENV)
    if table:
        layer: BasePersistenceLayer = DynamoDBPersistenceLayer(table_name=table)
        return layer
    raise IdempotencyNotConfigured(
        f"set {IDEMPOTENCY_DB_ENV} (a SQLite file, locally) or {IDEMPOTENCY_TABLE_ENV} (a DynamoDB table, "
        "on AWS), pass persistence=, or opt out with idempotent=False"
    )
