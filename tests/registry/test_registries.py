"""Registries, tags and resource policies through boto3's ``schemas`` client."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from bus.engine.runtime import LocalBus
from bus.wire.auth import Authenticator
from tests.registry.conftest import openapi
from tests.support.aws import aws_client, serving

ARN = "arn:aws:schemas:us-east-1:123456789012"


def error_of(call: Any, **kwargs: Any) -> tuple[str, int, str]:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    response = caught.value.response
    return (
        response["Error"]["Code"],
        response["ResponseMetadata"]["HTTPStatusCode"],
        response["Error"]["Message"],
    )


def test_create_describe_update_delete(schemas: Any) -> None:
    made = schemas.create_registry(RegistryName="orders", Description="Order events", Tags={"team": "shop"})
    assert made["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert made["RegistryArn"] == f"{ARN}:registry/orders"
    assert (made["RegistryName"], made["Description"], made["Tags"]) == (
        "orders",
        "Order events",
        {"team": "shop"},
    )

    described = schemas.describe_registry(RegistryName="orders")
    assert (described["RegistryArn"], described["Description"], described["Tags"]) == (
        f"{ARN}:registry/orders",
        "Order events",
        {"team": "shop"},
    )
    assert schemas.update_registry(RegistryName="orders", Description="new")["Description"] == "new"
    assert schemas.describe_registry(RegistryName="orders")["Description"] == "new"

    deleted = schemas.delete_registry(RegistryName="orders")
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(schemas.exceptions.NotFoundException):
        schemas.describe_registry(RegistryName="orders")


def test_errors_are_the_modelled_exceptions(schemas: Any) -> None:
    schemas.create_registry(RegistryName="orders")
    with pytest.raises(schemas.exceptions.ConflictException):
        schemas.create_registry(RegistryName="orders")
    assert error_of(schemas.describe_registry, RegistryName="nope") == (
        "NotFoundException",
        404,
        "Registry with name nope does not exist.",
    )
    assert error_of(schemas.update_registry, RegistryName="nope", Description="x")[:2] == (
        "NotFoundException",
        404,
    )
    assert error_of(schemas.delete_registry, RegistryName="nope")[:2] == ("NotFoundException", 404)
    with pytest.raises(schemas.exceptions.BadRequestException):
        schemas.create_registry(RegistryName="has space")


def test_built_in_registries(schemas: Any) -> None:
    names = [r["RegistryName"] for r in schemas.list_registries()["Registries"]]
    assert names == ["aws.events", "discovered-schemas"]
    assert [r["RegistryName"] for r in schemas.list_registries(Scope="AWS")["Registries"]] == ["aws.events"]
    assert [r["RegistryName"] for r in schemas.list_registries(Scope="LOCAL")["Registries"]] == [
        "discovered-schemas"
    ]
    with pytest.raises(schemas.exceptions.ForbiddenException):
        schemas.create_schema(
            RegistryName="aws.events", SchemaName="x", Type="OpenApi3", Content=openapi("X", {})
        )
    with pytest.raises(schemas.exceptions.ForbiddenException):
        schemas.delete_registry(RegistryName="aws.events")
    with pytest.raises(schemas.exceptions.ForbiddenException):
        schemas.delete_registry(RegistryName="discovered-schemas")


def test_list_with_prefix_and_pages(schemas: Any) -> None:
    for name in ("team-a", "team-b", "team-c", "other"):
        schemas.create_registry(RegistryName=name)
    first = schemas.list_registries(RegistryNamePrefix="team-", Limit=2)
    assert [r["RegistryName"] for r in first["Registries"]] == ["team-a", "team-b"]
    second = schemas.list_registries(RegistryNamePrefix="team-", Limit=2, NextToken=first["NextToken"])
    assert [r["RegistryName"] for r in second["Registries"]] == ["team-c"]
    assert "NextToken" not in second
    paginated = schemas.get_paginator("list_registries").paginate(PaginationConfig={"PageSize": 1})
    assert [r["RegistryName"] for page in paginated for r in page["Registries"]] == [
        "aws.events",
        "discovered-schemas",
        "other",
        "team-a",
        "team-b",
        "team-c",
    ]
    with pytest.raises(schemas.exceptions.BadRequestException):
        schemas.list_registries(NextToken="***")


def test_tags_on_registries_schemas_and_discoverers(schemas: Any, events: Any) -> None:
    registry = schemas.create_registry(RegistryName="orders")["RegistryArn"]
    schema = schemas.create_schema(
        RegistryName="orders", SchemaName="OrderPlaced", Type="OpenApi3", Content=openapi("OrderPlaced", {})
    )["SchemaArn"]
    bus_arn = events.describe_event_bus()["Arn"]
    discoverer = schemas.create_discoverer(SourceArn=bus_arn)["DiscovererArn"]
    for arn in (registry, schema, discoverer):
        assert (
            schemas.tag_resource(ResourceArn=arn, Tags={"a": "1", "b": "2"})["ResponseMetadata"][
                "HTTPStatusCode"
            ]
            == 204
        )
        schemas.untag_resource(ResourceArn=arn, TagKeys=["a"])
        assert schemas.list_tags_for_resource(ResourceArn=arn)["Tags"] == {"b": "2"}
    assert schemas.describe_registry(RegistryName="orders")["Tags"] == {"b": "2"}
    with pytest.raises(schemas.exceptions.NotFoundException):
        schemas.list_tags_for_resource(ResourceArn=f"{ARN}:registry/nope")


def test_resource_policy_with_revisions(schemas: Any) -> None:
    schemas.create_registry(RegistryName="orders")
    with pytest.raises(schemas.exceptions.NotFoundException):
        schemas.get_resource_policy(RegistryName="orders")
    policy = '{"Version": "2012-10-17", "Statement": []}'
    put = schemas.put_resource_policy(RegistryName="orders", Policy=policy)
    got = schemas.get_resource_policy(RegistryName="orders")
    assert (got["Policy"], got["RevisionId"]) == (policy, put["RevisionId"])
    with pytest.raises(schemas.exceptions.PreconditionFailedException):
        schemas.put_resource_policy(RegistryName="orders", Policy=policy, RevisionId="stale")
    schemas.put_resource_policy(RegistryName="orders", Policy=policy, RevisionId=put["RevisionId"])
    schemas.delete_resource_policy(RegistryName="orders")
    with pytest.raises(schemas.exceptions.NotFoundException):
        schemas.get_resource_policy(RegistryName="orders")


def test_signatures_are_checked_in_auth_mode(bus: LocalBus) -> None:
    with serving(bus, Authenticator({"AKIDCHOREO": "s3cret"})) as url:
        signed = aws_client("schemas", url, key="AKIDCHOREO", secret="s3cret")
        assert signed.create_registry(RegistryName="orders")["RegistryName"] == "orders"
        assert signed.describe_registry(RegistryName="orders")["RegistryName"] == "orders"
        for key, secret in (("AKIDCHOREO", "wrong"), ("unknown", "s3cret")):
            forged = aws_client("schemas", url, key=key, secret=secret)
            with pytest.raises(ClientError) as caught:
                forged.delete_registry(RegistryName="orders")
            assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
        assert signed.describe_registry(RegistryName="orders")["RegistryName"] == "orders"
