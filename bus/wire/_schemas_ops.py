"""The ``schemas`` operations: input members (by the model's names) to ``bus.registry`` calls, and
the records back to output members. No behaviour lives here."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from bus.registry import CodeBinding, Discoverer, Registry, Schema, SchemaRegistry, SchemaVersion
from bus.registry.errors import BadRequest

__all__ = ["OPERATIONS"]

Params = Mapping[str, Any]
Handler = Callable[[SchemaRegistry, Params], dict[str, Any]]


def _registry(r: Registry) -> dict[str, Any]:
    return {
        "RegistryArn": r.arn,
        "RegistryName": r.name,
        "Description": r.description or None,
        "Tags": r.tags,
    }


def _schema(s: Schema, v: SchemaVersion) -> dict[str, Any]:
    return {
        "Description": s.description or None,
        "LastModified": s.last_modified,
        "SchemaArn": s.arn,
        "SchemaName": s.name,
        "SchemaVersion": str(v.version),
        "Tags": s.tags,
        "Type": v.type,
        "VersionCreatedDate": v.created_at,
    }


def _discoverer(d: Discoverer) -> dict[str, Any]:
    return {
        "Description": d.description or None,
        "DiscovererArn": d.arn,
        "DiscovererId": d.id,
        "SourceArn": d.source_arn,
        "State": d.state,
        "CrossAccount": d.cross_account,
        "Tags": d.tags,
    }


def _binding(b: CodeBinding) -> dict[str, Any]:
    return {
        "CreationDate": b.created_at,
        "LastModified": b.last_modified,
        "SchemaVersion": str(b.version),
        "Status": b.status,
    }


# ---------------------------------------------------------------------- registries
def create_registry(svc: SchemaRegistry, p: Params) -> dict[str, Any]:
    made = svc.registries.create(p["RegistryName"], description=p.get("Description", ""), tags=p.get("Tags"))
    return _registry(made)


def describe_registry(svc: SchemaRegistry, p: Params) -> dict[str, Any]:
    return _registry(svc.registries.get(p["RegistryName"]))


def list_registries(svc: SchemaRegistry, p: Params) -> dict[str, Any]:
    found = svc.registries.listing(
        prefix=p.get("RegistryNamePrefix", ""),
        scope=p.get("Scope"),
        limit=p.get("Limit"),
        token=p.get("NextToken"),
    )
    return {"Registries": [_registry(r) for r in found.items], "NextToken": found.next_token}


def update_registry(svc: SchemaRegistry, p: Params) -> dict[str, Any]:
    return _registry(svc.registries.update(p["RegistryName"], description=p.get("Description")))


def delete_registry(svc: SchemaRegistry, p: Params) -> dict[str, Any]:
    svc.registries.delete(p["RegistryName"])
    return {}


# ---------------------------------------------------------------------- schemas
def create_schema(svc: SchemaRegistry, p: Params) -> dict[str, Any]:
    schema, version = svc.schemas.create(
        p["RegistryName"],
        p["SchemaName"],
        schema_type=p["Type"],
        content=p["Content"],
        description=p.get("Description", ""),
        tags=p.get("Tags"),
    )
    return _schema(schema, version)


def describe_schema(svc: SchemaRegistry, p: Params) -> dict[str, Any]:
    schema, version = svc.schemas.version(p["RegistryName"], p["SchemaName"], p.get("SchemaVersion"))
    return {**_schema(schema, version), "Content": version.content}


def update_schema(svc: SchemaRegistry, p: Params) -> dict[str, Any]:
    schema, version = svc.schemas.update(
        p["RegistryName"],
        p["SchemaName"],
        content=p.get("Content"),
        schema_type=p.get("Type"),
        description=p.get("Description"),
    )
    return _schema(schema, version)


def list_schemas(svc: SchemaRegistry, p: Params) -> dict[str, Any]:
    found = svc.schemas.listing(
        p["RegistryName"],
        prefix=p.get("SchemaNamePrefix", ""),
        limit=p.get("Limit"),
        token=p.get("NextToken"),
    )
    summaries = [
        {
            "LastModified": s.last_modified,
            "SchemaArn": s.arn,
            "SchemaName": s.name,
            "Tags": s.tags,
            "VersionCount": s.version_count,
        }
        for s in found.items
    ]
    return {"Schemas": summaries, "NextToken": found.next_token}


def list_schema_versions(svc: SchemaRegistry, p: Params) -> dict[str, Any]:
    registry, name = p["RegistryName"], p["SchemaName"]
    arn = svc.schemas.get(registry, name).arn
    found = svc.schemas.versions(registry, name, limit=p.get("Limit"), token=p.get("NextToken"))
    summaries = [
        {"SchemaArn": arn, "SchemaName": name, "SchemaVersion": str(v.version), "Type": v.type}
        for v in found.items
    ]
    return {"SchemaVersions": summaries, "NextToken": found.next_token}


def delete_schema(svc: SchemaRegistry, p: Params) -> dict[str, Any]:
    svc.schemas.delete(p["RegistryName"], p["SchemaName"])
    return {}


def delete_schema_version(svc: SchemaRegistry, p: Params) -> dict[str, Any]:
    svc.schemas.delete_version(p["RegistryName"], p["SchemaName"], p["SchemaVersion"])
    return {}


def search_schemas(svc: SchemaRegistry, p: Params) -> dict[str, Any]:
    found = svc.schemas.search(
        p["RegistryName"], p["Keywords"], limit=p.get("Limit"), token=p.get("NextToken")
    )
    summaries = [
        {
            "RegistryName": schema.registry,
            "SchemaArn": schema.arn,
            "SchemaName": schema.name,
            "SchemaVersions": [
                {"CreatedDate": v.created_at, "SchemaVersion": str(v.version), "Type": v.type}
                for v in versions
            ],
        }
        for schema, versions in found.items
    ]
    return {"Schemas": summaries, "NextToken": found.next_token}


def export_schema(svc: SchemaRegistry, p: Params) -> dict[str, Any]:
    schema, version, content = svc.export(
        p["RegistryName"], p["SchemaName"], p.get("SchemaVersion"), p["Type"]
    )
    return {
        "Content": content,
        "SchemaArn": schema.arn,
        "SchemaName": schema.name,
        "SchemaVersion": str(version.version),
        "Type": p["Type"],
    }


# ---------------------------------------------------------------------- discoverers
def create_discoverer(svc: SchemaRegistry, p: Params) -> dict[str, Any]:
    made = svc.discoverers.create(
        p["SourceArn"],
        description=p.get("Description", ""),
        cross_account=p.get("CrossAccount"),
        tags=p.get("Tags"),
    )
    return _discoverer(made)


def describe_discoverer(svc: SchemaRegistry, p: Params) -> dict[str, Any]:
    return _discoverer(svc.discoverers.get(p["DiscovererId"]))


def list_discoverers(svc: SchemaRegistry, p: Params) -> dict[str, Any]:
    found = svc.discoverers.listing(
        id_prefix=p.get("DiscovererIdPrefix", ""),
        source_prefix=p.get("SourceArnPrefix", ""),
        limit=p.get("Limit"),
        token=p.get("NextToken"),
    )
    return {"Discoverers": [_discoverer(d) for d in found.items], "NextToken": found.next_token}


def update_discoverer(svc: SchemaRegistry, p: Params) -> dict[str, Any]:
    updated = svc.discoverers.update(
        p["DiscovererId"], description=p.get("Description"), cross_account=p.get("CrossAccount")
    )
    return _discoverer(updated)


def start_discoverer(svc: SchemaRegistry, p: Params) -> dict[str, Any]:
    found = svc.discoverers.set_state(p["DiscovererId"], "STARTED")
    return {"DiscovererId": found.id, "State": found.state}


def stop_discoverer(svc: SchemaRegistry, p: Params) -> dict[str, Any]:
    found = svc.discoverers.set_state(p["DiscovererId"], "STOPPED")
    return {"DiscovererId": found.id, "State": found.state}


def delete_discoverer(svc: SchemaRegistry, p: Params) -> dict[str, Any]:
    svc.discoverers.delete(p["DiscovererId"])
    return {}


def get_discovered_schema(svc: SchemaRegistry, p: Params) -> dict[str, Any]:
    return {"Content": svc.discover(p["Events"], p["Type"])}


# ---------------------------------------------------------------------- code bindings
def put_code_binding(svc: SchemaRegistry, p: Params) -> dict[str, Any]:
    made = svc.bindings.put(p["RegistryName"], p["SchemaName"], p["Language"], p.get("SchemaVersion"))
    return _binding(made)


def describe_code_binding(svc: SchemaRegistry, p: Params) -> dict[str, Any]:
    return _binding(
        svc.bindings.get(p["RegistryName"], p["SchemaName"], p["Language"], p.get("SchemaVersion"))
    )


def get_code_binding_source(svc: SchemaRegistry, p: Params) -> dict[str, Any]:
    return {
        "Body": svc.bindings.source(p["RegistryName"], p["SchemaName"], p["Language"], p.get("SchemaVersion"))
    }


# ---------------------------------------------------------------------- tags and policies
def list_tags_for_resource(svc: SchemaRegistry, p: Params) -> dict[str, Any]:
    return {"Tags": svc.tags(p["ResourceArn"])}


def tag_resource(svc: SchemaRegistry, p: Params) -> dict[str, Any]:
    svc.tag(p["ResourceArn"], p["Tags"])
    return {}


def untag_resource(svc: SchemaRegistry, p: Params) -> dict[str, Any]:
    svc.untag(p["ResourceArn"], p["TagKeys"])
    return {}


def _policy_registry(p: Params) -> str:
    name = p.get("RegistryName")
    if not name:
        raise BadRequest("RegistryName is required: choreo keeps resource policies per registry.")
    return str(name)


def get_resource_policy(svc: SchemaRegistry, p: Params) -> dict[str, Any]:
    policy, revision = svc.registries.get_policy(_policy_registry(p))
    return {"Policy": policy, "RevisionId": revision}


def put_resource_policy(svc: SchemaRegistry, p: Params) -> dict[str, Any]:
    policy, revision = svc.registries.put_policy(_policy_registry(p), p["Policy"], p.get("RevisionId"))
    return {"Policy": policy, "RevisionId": revision}


def delete_resource_policy(svc: SchemaRegistry, p: Params) -> dict[str, Any]:
    svc.registries.delete_policy(_policy_registry(p))
    return {}


OPERATIONS: dict[str, Handler] = {
    "CreateRegistry": create_registry,
    "DescribeRegistry": describe_registry,
    "ListRegistries": list_registries,
    "UpdateRegistry": update_registry,
    "DeleteRegistry": delete_registry,
    "CreateSchema": create_schema,
    "DescribeSchema": describe_schema,
    "UpdateSchema": update_schema,
    "ListSchemas": list_schemas,
    "ListSchemaVersions": list_schema_versions,
    "DeleteSchema": delete_schema,
    "DeleteSchemaVersion": delete_schema_version,
    "SearchSchemas": search_schemas,
    "ExportSchema": export_schema,
    "CreateDiscoverer": create_discoverer,
    "DescribeDiscoverer": describe_discoverer,
    "ListDiscoverers": list_discoverers,
    "UpdateDiscoverer": update_discoverer,
    "StartDiscoverer": start_discoverer,
    "StopDiscoverer": stop_discoverer,
    "DeleteDiscoverer": delete_discoverer,
    "GetDiscoveredSchema": get_discovered_schema,
    "PutCodeBinding": put_code_binding,
    "DescribeCodeBinding": describe_code_binding,
    "GetCodeBindingSource": get_code_binding_source,
    "ListTagsForResource": list_tags_for_resource,
    "TagResource": tag_resource,
    "UntagResource": untag_resource,
    "GetResourcePolicy": get_resource_policy,
    "PutResourcePolicy": put_resource_policy,
    "DeleteResourcePolicy": delete_resource_policy,
}
