"""Connections as the engine keeps them: one store document per connection, secrets included.

AWS keeps a connection's credentials in a Secrets Manager secret (``events!connection/<name>``)
that only EventBridge reads. Here the same credentials sit in the connection's store document in
the data directory (owner-only files); the EventBridge API, logs, errors and metrics only ever
see ``public_auth_parameters`` of it. The same document is written whether the connection comes
from CreateConnection or from an ``AWS::Events::Connection`` in template.yaml.

States follow AWS (eb-target-connection-states): Basic and API key connections are AUTHORIZED
as soon as they have credentials; OAuth connections start AUTHORIZING and become AUTHORIZED once
the authorization endpoint hands out a token, or DEAUTHORIZED with a ``StateReason`` when it
refuses. A connection whose endpoint answers 401 or 407 to Basic or API key credentials is
DEAUTHORIZED too, as AWS does, until UpdateConnection gives it new credentials.
"""

from __future__ import annotations

import enum
import hashlib
import json
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from bus.store.base import Store
from bus.template import RawResource

__all__ = [
    "CONNECTION_KIND",
    "TOKEN_KIND",
    "AuthorizationType",
    "ConnectionState",
    "apply_connections",
    "connection_name",
    "credentials_fingerprint",
    "initial_state",
    "new_connection",
    "secret_values",
    "set_state",
]

CONNECTION_KIND = "connection"
# the OAuth access token of a connection, keyed by connection name (AWS keeps it in the secret too)
TOKEN_KIND = "connection_token"
_SECRET_MEMBERS = frozenset({"Password", "ApiKeyValue", "ClientSecret"})
_STATE_REASON_LIMIT = 512  # the API's length limit on StateReason


class AuthorizationType(enum.StrEnum):
    BASIC = "BASIC"
    API_KEY = "API_KEY"
    OAUTH_CLIENT_CREDENTIALS = "OAUTH_CLIENT_CREDENTIALS"


class ConnectionState(enum.StrEnum):
    """Every value of the API's ConnectionState (the local engine only reaches some of them)."""

    CREATING = "CREATING"
    UPDATING = "UPDATING"
    DELETING = "DELETING"
    AUTHORIZED = "AUTHORIZED"
    DEAUTHORIZED = "DEAUTHORIZED"
    AUTHORIZING = "AUTHORIZING"
    DEAUTHORIZING = "DEAUTHORIZING"
    ACTIVE = "ACTIVE"
    FAILED_CONNECTIVITY = "FAILED_CONNECTIVITY"


def connection_name(arn: str) -> str:
    """``arn:aws:events:us-east-1:123456789012:connection/datadog/5e1f`` -> ``datadog``."""
    return arn.split(":connection/", 1)[-1].split("/", 1)[0]


def initial_state(auth_type: str) -> ConnectionState:
    """OAuth needs a token exchange before it is authorized; Basic and API key do not."""
    if auth_type == AuthorizationType.OAUTH_CLIENT_CREDENTIALS:
        return ConnectionState.AUTHORIZING
    return ConnectionState.AUTHORIZED


def new_connection(
    *,
    name: str,
    arn: str,
    auth_type: str,
    auth: Mapping[str, Any],
    description: str,
    secret_arn: str,
    now: float,
) -> dict[str, Any]:
    """The store document of a new connection."""
    state = initial_state(auth_type)
    doc: dict[str, Any] = {
        "name": name,
        "arn": arn,
        "Description": description,
        "AuthorizationType": auth_type,
        "AuthParameters": dict(auth),
        "ConnectionState": state,
        "SecretArn": secret_arn,
        "CreationTime": now,
        "LastModifiedTime": now,
    }
    if state == ConnectionState.AUTHORIZED:
        doc["LastAuthorizedTime"] = now
    return doc


def secret_values(auth: Mapping[str, Any]) -> list[str]:
    """Every secret in AuthParameters: passwords, API key values, client secrets and the values of
    parameters marked ``IsValueSecret``. Used to scrub text that leaves the engine."""
    found: list[str] = []

    def visit(value: Any) -> None:
        if isinstance(value, Mapping):
            secret = value.get("IsValueSecret") is True
            for key, item in value.items():
                if (key in _SECRET_MEMBERS or (secret and key == "Value")) and isinstance(item, str):
                    found.append(item)
                else:
                    visit(item)
        elif isinstance(value, list):
            for item in value:
                visit(item)

    visit(auth)
    return [s for s in found if s]


def credentials_fingerprint(doc: Mapping[str, Any]) -> str:
    """Changes whenever the credentials or the authorization endpoint change, so a cached OAuth
    token is never used with credentials other than the ones that obtained it."""
    material = json.dumps([doc.get("arn"), doc.get("AuthParameters")], sort_keys=True)
    return hashlib.sha256(material.encode()).hexdigest()


def set_state(
    store: Store,
    name: str,
    state: ConnectionState,
    *,
    now: float,
    reason: str | None = None,
    fingerprint: str | None = None,
) -> bool:
    """Move a connection to ``state``; with ``fingerprint``, only if its credentials are still the
    ones that were tried (an UpdateConnection in between wins). Returns whether it was written."""
    doc = store.get_resource(CONNECTION_KIND, name)
    if doc is None or (fingerprint is not None and credentials_fingerprint(doc) != fingerprint):
        return False
    if doc.get("ConnectionState") == state and doc.get("StateReason") == reason:
        return True
    doc["ConnectionState"] = str(state)
    doc["LastModifiedTime"] = now
    if state == ConnectionState.AUTHORIZED:
        doc["LastAuthorizedTime"] = now
    if reason:
        doc["StateReason"] = reason[:_STATE_REASON_LIMIT]
    else:
        doc.pop("StateReason", None)
    store.put_resource(CONNECTION_KIND, name, doc)
    return True


def apply_connections(store: Store, connections: Iterable[RawResource], *, now: float) -> list[str]:
    """Store the ``AWS::Events::Connection`` resources of a loaded template; one line per change.

    Idempotent like ``LocalBus.apply``: a connection whose properties are unchanged keeps its
    document (and its state and OAuth token); a changed one is written again, authorizing anew.
    """
    done: list[str] = []
    for raw in connections:
        props = dict(raw.properties)
        auth_type = str(props.get("AuthorizationType") or "")
        auth = dict(props.get("AuthParameters") or {})
        old = store.get_resource(CONNECTION_KIND, raw.name)
        if (
            old is not None
            and old.get("AuthorizationType") == auth_type
            and old.get("AuthParameters") == auth
        ):
            continue
        suffix = uuid.uuid4()
        doc = new_connection(
            name=raw.name,
            arn=raw.arn,
            auth_type=auth_type,
            auth=auth,
            description=str(props.get("Description") or ""),
            secret_arn=_secret_arn(raw.arn, raw.name, suffix),
            now=now,
        )
        if old is not None:
            doc["CreationTime"] = old.get("CreationTime", now)
        store.put_resource(CONNECTION_KIND, raw.name, doc)
        store.delete_resource(TOKEN_KIND, raw.name)
        done.append(f"connection {raw.name}")
    return done


def _secret_arn(connection_arn: str, name: str, suffix: uuid.UUID) -> str:
    """Where AWS would keep the credentials: ``...:secret:events!connection/<name>/<id>``."""
    parts = connection_arn.split(":")
    partition, region, account = parts[1], parts[3], parts[4]
    return f"arn:{partition}:secretsmanager:{region}:{account}:secret:events!connection/{name}/{suffix}"
