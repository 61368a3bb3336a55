"""The boto3 clients every benchmark process makes: fixed dummy credentials, no retries."""

from __future__ import annotations

from typing import Any

import boto3
from botocore.config import Config


def client(service: str, endpoint: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="bench",
        aws_secret_access_key="bench",
        config=Config(retries={"max_attempts": 1}, connect_timeout=5, read_timeout=30),
    )
