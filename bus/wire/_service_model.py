"""botocore's service models, read once: the wire layer validates and routes by them, so what boto3
sends and what we accept come from the same definition."""

from __future__ import annotations

import gzip
import json
from functools import cache
from importlib import resources
from typing import Any

__all__ = ["EVENTS", "SCHEMAS", "service_model"]

EVENTS = ("events", "2015-10-07")
SCHEMAS = ("schemas", "2019-12-02")


@cache
def service_model(service: str, version: str) -> dict[str, Any]:
    """``botocore/data/<service>/<version>/service-2.json`` (gzipped in recent botocore releases)."""
    folder = resources.files("botocore").joinpath(f"data/{service}/{version}")
    packed = folder.joinpath("service-2.json.gz")
    raw = (
        gzip.decompress(packed.read_bytes())
        if packed.is_file()
        else folder.joinpath("service-2.json").read_bytes()
    )
    model: dict[str, Any] = json.loads(raw)
    return model
