"""API destination tests: destinations and connections put straight into a ``Bed`` (MemoryStore,
virtual clock, the real ``Deliverer`` and ``ApiDestinationKind``), sending to real loopback
servers from ``tests.support.http_stubs``; the wire and template tests go through ``LocalBus``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bus.engine.targets.connections import CONNECTION_KIND, new_connection
from bus.model import Attempt, DeadLetterConfig, Outcome, Target
from tests.engine import ACCOUNT, REGION, Bed, queue_arn

EB = f"arn:aws:events:{REGION}:{ACCOUNT}"
DLQ = DeadLetterConfig(queue_arn("dlq"))


def connection(b: Bed, name: str, auth_type: str, auth: dict[str, Any]) -> str:
    """Store a connection as CreateConnection would; returns its ARN."""
    arn = f"{EB}:connection/{name}/0c0c"
    doc = new_connection(
        name=name,
        arn=arn,
        auth_type=auth_type,
        auth=auth,
        description="",
        secret_arn=f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:events!connection/{name}/1",
        now=b.clock.now(),
    )
    b.store.put_resource(CONNECTION_KIND, name, doc)
    return arn


def destination(
    b: Bed,
    name: str,
    url: str,
    *,
    connection_arn: str | None = None,
    method: str = "POST",
    rate: int | None = None,
) -> str:
    """Store an API destination as CreateApiDestination would; returns its ARN."""
    arn = f"{EB}:api-destination/{name}/0d0d"
    doc: dict[str, Any] = {"name": name, "arn": arn, "InvocationEndpoint": url, "HttpMethod": method}
    if connection_arn is not None:
        doc["ConnectionArn"] = connection_arn
    if rate is not None:
        doc["InvocationRateLimitPerSecond"] = rate
    b.store.put_resource("api_destination", name, doc)
    return arn


def api_bed(tmp_path: Path) -> Bed:
    b = Bed(tmp_path)
    b.queue("dlq")
    b.rule()
    return b


def target(arn: str, target_id: str = "t", **fields: Any) -> Target:
    fields.setdefault("dead_letter_config", DLQ)
    return Target(target_id, arn, **fields)


def outcomes(attempts: list[Attempt]) -> list[Outcome]:
    return [a.outcome for a in attempts]


def connection_doc(b: Bed, name: str) -> dict[str, Any]:
    doc = b.store.get_resource(CONNECTION_KIND, name)
    assert doc is not None
    return doc
