"""Connections and API destinations: store resources of kinds ``connection`` and ``api_destination``.

Both documents are keyed by name and hold ``name`` and ``arn`` (as the template loader writes
them) plus the API's own member names, so the API destination target kind reads
``InvocationEndpoint`` and ``HttpMethod`` whichever way a destination was made. A connection keeps
its secrets (Password, ApiKeyValue, ClientSecret, secret parameter values) for delivery, where AWS
keeps them in Secrets Manager, and, like AWS, never returns them.

States as AWS reports them (``bus.engine.targets.connections``): Basic and API key connections are
AUTHORIZED at once; an OAuth connection is answered AUTHORIZING, and the token exchange with its
authorization endpoint runs right after the write (outside the API's write lock), leaving it
AUTHORIZED, or DEAUTHORIZED with the endpoint's answer as ``StateReason``. DeauthorizeConnection
removes the secrets and the OAuth token. Endpoints must be https; http is accepted for loopback
addresses only, so a local stand-in can play the SaaS.
"""

from __future__ import annotations

import functools
import logging
import uuid
from collections.abc import Mapping
from typing import Any

from bus.engine.runtime import LocalBus
from bus.engine.targets._http_request import UnusableEndpoint, check_endpoint
from bus.engine.targets.api_destination import API_DESTINATION_KIND, DEFAULT_RATE_LIMIT, ApiDestinationKind
from bus.engine.targets.connections import (
    CONNECTION_KIND,
    TOKEN_KIND,
    ConnectionState,
    connection_name,
    initial_state,
    new_connection,
)
from bus.errors import ResourceAlreadyExists, ResourceNotFound, ValidationError
from bus.wire._events_common import integer, page, present, required, serialized, text
from bus.wire._protocol import Operation, Request

__all__ = ["API_DESTINATION_KIND", "CONNECTION_KIND", "OPERATIONS", "public_auth_parameters"]

log = logging.getLogger(__name__)
_INACTIVE = frozenset({ConnectionState.DEAUTHORIZED, ConnectionState.DEAUTHORIZING, ConnectionState.DELETING})
_AUTH_MEMBER = {
    "BASIC": "BasicAuthParameters",
    "API_KEY": "ApiKeyAuthParameters",
    "OAUTH_CLIENT_CREDENTIALS": "OAuthParameters",
}
_SECRETS = ("Password", "ApiKeyValue", "ClientSecret")
_HTTP_LISTS = ("HeaderParameters", "QueryStringParameters", "BodyParameters")


# ---------------------------------------------------------------------------------------- secrets
def _public_http(params: Mapping[str, Any]) -> dict[str, Any]:
    return {
        kind: [
            {k: v for k, v in p.items() if not (k == "Value" and p.get("IsValueSecret"))}
            for p in params[kind]
        ]
        for kind in _HTTP_LISTS
        if kind in params
    }


def public_auth_parameters(auth: Mapping[str, Any]) -> dict[str, Any]:
    """What DescribeConnection shows of AuthParameters: names and endpoints, never a secret."""
    out: dict[str, Any] = {}
    if basic := auth.get("BasicAuthParameters"):
        out["BasicAuthParameters"] = present(Username=basic.get("Username"))
    if api_key := auth.get("ApiKeyAuthParameters"):
        out["ApiKeyAuthParameters"] = present(ApiKeyName=api_key.get("ApiKeyName"))
    if oauth := auth.get("OAuthParameters"):
        client = oauth.get("ClientParameters") or {}
        out["OAuthParameters"] = present(
            ClientParameters=present(ClientID=client.get("ClientID")) or None,
            AuthorizationEndpoint=oauth.get("AuthorizationEndpoint"),
            HttpMethod=oauth.get("HttpMethod"),
            OAuthHttpParameters=_public_http(oauth["OAuthHttpParameters"])
            if "OAuthHttpParameters" in oauth
            else None,
        )
    if "InvocationHttpParameters" in auth:
        out["InvocationHttpParameters"] = _public_http(auth["InvocationHttpParameters"])
    return out


def _without_secrets(value: Any) -> Any:
    """DeauthorizeConnection: every secret value removed, the rest kept."""
    if isinstance(value, Mapping):
        secret = value.get("IsValueSecret") is True
        return {
            k: _without_secrets(v)
            for k, v in value.items()
            if k not in _SECRETS and not (secret and k == "Value")
        }
    if isinstance(value, list):
        return [_without_secrets(v) for v in value]
    return value


def _merged(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    """UpdateConnection's AuthParameters: members given replace, nested structures merge."""
    out = dict(old)
    for key, value in new.items():
        if (
            isinstance(value, Mapping)
            and isinstance(old.get(key), Mapping)
            and key not in ("OAuthHttpParameters", "InvocationHttpParameters")
        ):
            out[key] = _merged(old[key], value)
        else:
            out[key] = value
    return out


def _for_type(auth_type: str, auth: Mapping[str, Any]) -> dict[str, Any]:
    """``auth`` with the credentials of ``auth_type`` only (and the parameters sent with every call)."""
    member = _AUTH_MEMBER[auth_type]
    if not auth.get(member):
        raise ValidationError(f"{member} must be specified for authorization type {auth_type}.")
    if member == "OAuthParameters":
        _endpoint(str(auth[member].get("AuthorizationEndpoint") or ""), "AuthorizationEndpoint")
    return {k: v for k, v in auth.items() if k == member or k not in _AUTH_MEMBER.values()}


def _endpoint(url: str, member: str) -> str:
    try:
        return check_endpoint(url)
    except UnusableEndpoint as exc:
        raise ValidationError(f"Invalid {member}: {exc}") from None


# ---------------------------------------------------------------------------------------- connections
def _connection(bus: LocalBus, name: str) -> dict[str, Any]:
    doc = bus.store.get_resource(CONNECTION_KIND, name)
    if doc is None:
        raise ResourceNotFound(f"Failed to describe the connection(s). Connection '{name}' does not exist.")
    return doc


def _state(doc: Mapping[str, Any], state: str | None = None) -> dict[str, Any]:
    return present(
        ConnectionArn=doc["arn"],
        ConnectionState=state or doc["ConnectionState"],
        CreationTime=doc.get("CreationTime"),
        LastModifiedTime=doc.get("LastModifiedTime"),
        LastAuthorizedTime=doc.get("LastAuthorizedTime"),
    )


def create_connection(bus: LocalBus, request: Request) -> dict[str, Any]:
    params = request.params
    name = required(params, "Name")
    auth_type = required(params, "AuthorizationType")
    auth = dict(params.get("AuthParameters") or {})
    if bus.store.get_resource(CONNECTION_KIND, name) is not None:
        raise ResourceAlreadyExists(f"Connection {name} already exists.")
    auth = _for_type(auth_type, auth)
    engine = bus.engine
    now = engine.clock.now()
    suffix = uuid.uuid4()
    secret = f"secret:events!connection/{name}/{suffix}"  # the secret AWS would keep the credentials in
    doc = new_connection(
        name=name,
        arn=f"arn:aws:events:{engine.region}:{engine.account}:connection/{name}/{suffix}",
        auth_type=auth_type,
        auth=auth,
        description=text(params, "Description") or "",
        secret_arn=f"arn:aws:secretsmanager:{engine.region}:{engine.account}:{secret}",
        now=now,
    )
    bus.store.put_resource(CONNECTION_KIND, name, doc)
    return _state(doc)


def describe_connection(bus: LocalBus, request: Request) -> dict[str, Any]:
    doc = _connection(bus, required(request.params, "Name"))
    return {
        **present(
            Name=doc["name"],
            Description=doc.get("Description"),
            AuthorizationType=doc.get("AuthorizationType"),
            SecretArn=doc.get("SecretArn"),
            AuthParameters=public_auth_parameters(doc.get("AuthParameters") or {}),
            StateReason=doc.get("StateReason"),
        ),
        **_state(doc),
    }


def list_connections(bus: LocalBus, request: Request) -> dict[str, Any]:
    params = request.params
    state = text(params, "ConnectionState")
    docs = [d for _, d in bus.store.list_resources(CONNECTION_KIND, text(params, "NamePrefix") or "")]
    docs = [d for d in docs if state is None or d.get("ConnectionState") == state]
    chunk, token = page(docs, lambda d: str(d["name"]), params)
    items = [
        {
            **present(
                Name=d["name"], AuthorizationType=d.get("AuthorizationType"), StateReason=d.get("StateReason")
            ),
            **_state(d),
        }
        for d in chunk
    ]
    return {"Connections": items, **token}


def update_connection(bus: LocalBus, request: Request) -> dict[str, Any]:
    params = request.params
    doc = _connection(bus, required(params, "Name"))
    now = bus.engine.clock.now()
    old_type = str(doc.get("AuthorizationType"))
    auth_type = text(params, "AuthorizationType") or old_type
    auth = doc.get("AuthParameters") or {}
    given = params.get("AuthParameters")
    if given:
        auth = _merged(auth, given)
    auth = _for_type(auth_type, auth)
    doc.update(AuthorizationType=auth_type, AuthParameters=auth, LastModifiedTime=now)
    if text(params, "Description") is not None:
        doc["Description"] = params["Description"]
    if given or auth_type != old_type:  # new credentials authorize again, after a deauthorization too
        state = initial_state(auth_type)
        doc["ConnectionState"] = str(state)
        doc.pop("StateReason", None)
        if state == ConnectionState.AUTHORIZED:
            doc["LastAuthorizedTime"] = now
        bus.store.delete_resource(TOKEN_KIND, doc["name"])
    bus.store.put_resource(CONNECTION_KIND, doc["name"], doc)
    return _state(doc)


def delete_connection(bus: LocalBus, request: Request) -> dict[str, Any]:
    doc = _connection(bus, required(request.params, "Name"))
    bus.store.delete_resource(CONNECTION_KIND, doc["name"])
    bus.store.delete_resource(TOKEN_KIND, doc["name"])
    return _state(doc, "DELETING")


def deauthorize_connection(bus: LocalBus, request: Request) -> dict[str, Any]:
    doc = _connection(bus, required(request.params, "Name"))
    doc.update(
        AuthParameters=_without_secrets(doc.get("AuthParameters") or {}),
        ConnectionState=str(ConnectionState.DEAUTHORIZED),
        LastModifiedTime=bus.engine.clock.now(),
    )
    doc.pop("StateReason", None)
    bus.store.put_resource(CONNECTION_KIND, doc["name"], doc)
    bus.store.delete_resource(TOKEN_KIND, doc["name"])
    return _state(doc)


def _authorized_after(handler: Operation) -> Operation:
    """Run a connection write under the API's write lock, then, for an OAuth connection left
    AUTHORIZING, exchange its credentials for a token outside the lock (the endpoint may take up
    to 5 seconds). The response keeps the AUTHORIZING state AWS answers with."""
    locked = serialized(handler)

    @functools.wraps(handler)
    def run(bus: LocalBus, request: Request) -> dict[str, Any]:
        answer = locked(bus, request)
        if answer.get("ConnectionState") == ConnectionState.AUTHORIZING:
            _authorize(bus, str(request.params["Name"]))
        return answer

    return run


def _authorize(bus: LocalBus, name: str) -> None:
    kind = next((k for k in bus.registry.kinds if isinstance(k, ApiDestinationKind)), None)
    if kind is None:
        return
    try:
        state = kind.authorize(bus.store, name, now=bus.engine.clock.now())
    except Exception as exc:  # the connection stays AUTHORIZING; delivery tries again
        log.warning("authorizing connection %s failed: %s", name, type(exc).__name__)
        return
    log.info("connection %s is %s", name, state)


# ---------------------------------------------------------------------------------------- destinations
def _destination(bus: LocalBus, name: str) -> dict[str, Any]:
    doc = bus.store.get_resource(API_DESTINATION_KIND, name)
    if doc is None:
        raise ResourceNotFound(
            f"Failed to describe the api-destination(s). An api-destination '{name}' does not exist."
        )
    return doc


def _connection_arn(bus: LocalBus, arn: str) -> str:
    """``arn`` if it names an existing connection (ARNs end in a per-connection id)."""
    name = arn.split(":connection/", 1)[-1].split("/", 1)[0]
    if _connection(bus, name)["arn"] != arn:
        raise ResourceNotFound(f"Failed to describe the connection(s). Connection '{name}' does not exist.")
    return arn


def _destination_out(doc: Mapping[str, Any], *, full: bool) -> dict[str, Any]:
    return present(
        ApiDestinationArn=doc["arn"],
        Name=doc["name"],
        Description=doc.get("Description") if full else None,
        ApiDestinationState=doc.get("ApiDestinationState", "ACTIVE"),
        ConnectionArn=doc.get("ConnectionArn"),
        InvocationEndpoint=doc.get("InvocationEndpoint"),
        HttpMethod=doc.get("HttpMethod"),
        InvocationRateLimitPerSecond=doc.get("InvocationRateLimitPerSecond", DEFAULT_RATE_LIMIT),
        CreationTime=doc.get("CreationTime"),
        LastModifiedTime=doc.get("LastModifiedTime"),
    )


def _destination_state(doc: Mapping[str, Any]) -> dict[str, Any]:
    out = _destination_out(doc, full=False)
    return {
        k: out[k]
        for k in ("ApiDestinationArn", "ApiDestinationState", "CreationTime", "LastModifiedTime")
        if k in out
    }


def create_api_destination(bus: LocalBus, request: Request) -> dict[str, Any]:
    params = request.params
    name = required(params, "Name")
    if bus.store.get_resource(API_DESTINATION_KIND, name) is not None:
        raise ResourceAlreadyExists(f"An api-destination '{name}' already exists.")
    engine = bus.engine
    now = engine.clock.now()
    doc = {
        "name": name,
        "arn": f"arn:aws:events:{engine.region}:{engine.account}:api-destination/{name}/{uuid.uuid4()}",
        "Name": name,
        "Description": text(params, "Description") or "",
        "ConnectionArn": _connection_arn(bus, required(params, "ConnectionArn")),
        "InvocationEndpoint": _endpoint(required(params, "InvocationEndpoint"), "InvocationEndpoint"),
        "HttpMethod": required(params, "HttpMethod"),
        "InvocationRateLimitPerSecond": integer(params, "InvocationRateLimitPerSecond") or DEFAULT_RATE_LIMIT,
        "ApiDestinationState": "ACTIVE",
        "CreationTime": now,
        "LastModifiedTime": now,
    }
    bus.store.put_resource(API_DESTINATION_KIND, name, doc)
    return _destination_state(doc)


def describe_api_destination(bus: LocalBus, request: Request) -> dict[str, Any]:
    return _destination_out(_with_state(bus, _destination(bus, required(request.params, "Name"))), full=True)


def list_api_destinations(bus: LocalBus, request: Request) -> dict[str, Any]:
    params = request.params
    connection = text(params, "ConnectionArn")
    docs = [d for _, d in bus.store.list_resources(API_DESTINATION_KIND, text(params, "NamePrefix") or "")]
    docs = [d for d in docs if connection is None or d.get("ConnectionArn") == connection]
    chunk, token = page(docs, lambda d: str(d["name"]), params)
    return {"ApiDestinations": [_destination_out(_with_state(bus, d), full=False) for d in chunk], **token}


def _with_state(bus: LocalBus, doc: dict[str, Any]) -> dict[str, Any]:
    """A destination whose connection is de-authorized (or gone) shows INACTIVE, as on AWS, and
    ACTIVE again once the connection is authorized."""
    name = connection_name(str(doc.get("ConnectionArn") or ""))
    connection = bus.store.get_resource(CONNECTION_KIND, name) if name else None
    usable = connection is not None and connection.get("ConnectionState") not in _INACTIVE
    return {**doc, "ApiDestinationState": "ACTIVE" if usable else "INACTIVE"}


def update_api_destination(bus: LocalBus, request: Request) -> dict[str, Any]:
    params = request.params
    doc = _destination(bus, required(params, "Name"))
    if (connection := text(params, "ConnectionArn")) is not None:
        doc["ConnectionArn"] = _connection_arn(bus, connection)
    if (endpoint := text(params, "InvocationEndpoint")) is not None:
        _endpoint(endpoint, "InvocationEndpoint")
    for member in ("Description", "InvocationEndpoint", "HttpMethod", "InvocationRateLimitPerSecond"):
        if params.get(member) is not None:
            doc[member] = params[member]
    doc["LastModifiedTime"] = bus.engine.clock.now()
    bus.store.put_resource(API_DESTINATION_KIND, doc["name"], doc)
    return _destination_state(doc)


def delete_api_destination(bus: LocalBus, request: Request) -> dict[str, Any]:
    doc = _destination(bus, required(request.params, "Name"))
    bus.store.delete_resource(API_DESTINATION_KIND, doc["name"])
    return {}


OPERATIONS: dict[str, Operation] = {
    "CreateConnection": _authorized_after(create_connection),
    "DescribeConnection": describe_connection,
    "ListConnections": list_connections,
    "UpdateConnection": _authorized_after(update_connection),
    "DeleteConnection": serialized(delete_connection),
    "DeauthorizeConnection": serialized(deauthorize_connection),
    "CreateApiDestination": serialized(create_api_destination),
    "DescribeApiDestination": describe_api_destination,
    "ListApiDestinations": list_api_destinations,
    "UpdateApiDestination": serialized(update_api_destination),
    "DeleteApiDestination": serialized(delete_api_destination),
}
