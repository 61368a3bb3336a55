"""The local mode's deployment: template.yaml on the embedded engine, behind the AWS-compatible
endpoint on a free loopback port (what ``choreo serve`` runs), with the template's functions in the
local Lambda runtime and the notification SaaS played by a stub server.

``outputs`` plays CloudFormation: it evaluates the template's ``Outputs`` against what the engine
created, so the tests read the same keys locally as from a stack on AWS.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bus.engine.runtime import LocalBus
from bus.template import Configuration, load_template
from bus.template._yaml import read_template
from bus.wire.server import ServerThread
from tests.e2e.driver import REPO, Stack

TEMPLATE = REPO / "template.yaml"
WEBHOOK_VARIABLE = "CHOREO_RESOLVE_SSM_CHOREO_NOTIFICATIONS_WEBHOOK_URL"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def outputs(config: Configuration, template: Path = TEMPLATE) -> dict[str, str]:
    """The template's Outputs, as CloudFormation would report them for this deployment."""
    queues = {q.arn: q.url for q in config.queues}
    names = {b.arn: b.name for b in config.buses} | {a.arn: a.name for a in config.archives}

    def ref(logical_id: str) -> str:
        arn = config.logical_ids.get(logical_id)
        if arn is None:  # a resource the engine does not model (the DynamoDB table): its name
            return f"{config.buses[0].name.removesuffix('-orders')}-{logical_id}"
        return queues.get(arn) or names.get(arn) or arn

    resolved = {}
    for key, spec in read_template(template)["Outputs"].items():
        value: Any = spec["Value"]
        if "Ref" in value:
            resolved[key] = ref(value["Ref"])
        else:
            logical_id, attribute = value["Fn::GetAtt"]
            assert attribute == "Arn", f"output {key}: only Ref and GetAtt Arn are modelled"
            resolved[key] = config.logical_ids[logical_id]
    return resolved


@contextmanager
def local_deployment(data_dir: Path, webhook_url: str) -> Iterator[tuple[Stack, LocalBus]]:
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    previous = os.environ.get(WEBHOOK_VARIABLE)
    os.environ[WEBHOOK_VARIABLE] = webhook_url
    try:
        config = load_template(TEMPLATE, endpoint=endpoint)
    finally:
        if previous is None:
            os.environ.pop(WEBHOOK_VARIABLE, None)
        else:
            os.environ[WEBHOOK_VARIABLE] = previous
    bus = LocalBus(data_dir, endpoint=endpoint)
    bus.apply(config)
    bus.start()
    server = ServerThread(bus, port=port).start()
    try:
        yield Stack(outputs(config), config.buses[0].arn.split(":")[3], endpoint), bus
    finally:
        server.stop()
        bus.stop()
