"""Registries: containers of schemas, and their resource policies.

Two registries always exist, as on AWS: ``aws.events`` (scope ``AWS``: AWS's own event schemas;
read-only, and empty here because choreo does not ship AWS's catalogue) and
``discovered-schemas`` (where discoverers write). Deleting a registry deletes its schemas.
"""

from __future__ import annotations

import uuid
from dataclasses import replace

from bus.registry._context import Page, RegistryContext, page
from bus.registry._naming import check_registry_name
from bus.registry._records import (
    BINDING,
    OBSERVED,
    POLICY,
    REGISTRY,
    SCHEMA,
    VERSION,
    Registry,
    from_doc,
    to_doc,
)
from bus.registry.errors import BadRequest, Conflict, Forbidden, NotFound, PreconditionFailed

__all__ = ["AWS_REGISTRY", "DISCOVERED_REGISTRY", "Registries"]

AWS_REGISTRY = "aws.events"
DISCOVERED_REGISTRY = "discovered-schemas"
_BUILT_IN = {
    AWS_REGISTRY: ("AWS", "Schemas of events from AWS services (not shipped with choreo)."),
    DISCOVERED_REGISTRY: ("LOCAL", "Schemas inferred by discoverers from the events on a bus."),
}


class Registries:
    def __init__(self, ctx: RegistryContext) -> None:
        self.ctx = ctx
        with ctx.lock:
            for name, (scope, description) in _BUILT_IN.items():
                if ctx.store.get_resource(REGISTRY, name) is None:
                    built_in = Registry(name, self._arn(name), description, {}, scope, ctx.clock.now())
                    ctx.store.put_resource(REGISTRY, name, to_doc(built_in))

    def _arn(self, name: str) -> str:
        return self.ctx.arn(f"registry/{name}")

    def create(self, name: str, *, description: str = "", tags: dict[str, str] | None = None) -> Registry:
        check_registry_name(name)
        with self.ctx.lock:
            if self.ctx.store.get_resource(REGISTRY, name) is not None:
                raise Conflict(f"Registry with name {name} already exists.")
            created = Registry(
                name, self._arn(name), description, dict(tags or {}), "LOCAL", self.ctx.clock.now()
            )
            self.ctx.store.put_resource(REGISTRY, name, to_doc(created))
        return created

    def get(self, name: str) -> Registry:
        doc = self.ctx.store.get_resource(REGISTRY, name)
        if doc is None:
            raise NotFound(f"Registry with name {name} does not exist.")
        return from_doc(Registry, doc)

    def writable(self, name: str) -> Registry:
        """The registry, which the caller is about to change: AWS's own registry is read-only."""
        registry = self.get(name)
        if registry.scope == "AWS":
            raise Forbidden(f"Registry {name} is managed by AWS and cannot be modified.")
        return registry

    def listing(
        self,
        *,
        prefix: str = "",
        scope: str | None = None,
        limit: int | None = None,
        token: str | None = None,
    ) -> Page[Registry]:
        if scope is not None and scope not in ("LOCAL", "AWS"):
            raise BadRequest(f"Invalid scope {scope}: LOCAL or AWS.")
        found = [from_doc(Registry, doc) for _, doc in self.ctx.store.list_resources(REGISTRY, prefix)]
        chosen = [r for r in found if scope is None or r.scope == scope]
        return page(chosen, lambda r: r.name, limit, token)

    def update(self, name: str, *, description: str | None) -> Registry:
        with self.ctx.lock:
            registry = self.writable(name)
            if description is not None:
                registry = replace(registry, description=description)
                self.ctx.store.put_resource(REGISTRY, name, to_doc(registry))
        return registry

    def delete(self, name: str) -> None:
        with self.ctx.lock:
            self.writable(name)
            if name == DISCOVERED_REGISTRY:
                raise Forbidden(f"Registry {name} is built in and cannot be deleted.")
            store = self.ctx.store
            for kind in (BINDING, VERSION, SCHEMA, OBSERVED):
                for key, _ in store.list_resources(kind, f"{name}/"):
                    store.delete_resource(kind, key)
            store.delete_resource(POLICY, name)
            store.delete_resource(REGISTRY, name)

    def put_tags(self, name: str, tags: dict[str, str]) -> None:
        with self.ctx.lock:
            registry = self.get(name)
            merged = replace(registry, tags=tags)
            self.ctx.store.put_resource(REGISTRY, name, to_doc(merged))

    # ------------------------------------------------------------------ resource policies
    def get_policy(self, name: str) -> tuple[str, str]:
        """(policy JSON text, revision id)."""
        self.get(name)
        doc = self.ctx.store.get_resource(POLICY, name)
        if doc is None:
            raise NotFound(f"Resource-based policy for registry {name} does not exist.")
        return str(doc["policy"]), str(doc["revision"])

    def put_policy(self, name: str, policy: str, revision: str | None) -> tuple[str, str]:
        """Optimistic concurrency as on AWS: a stale ``revision`` is a PreconditionFailed."""
        with self.ctx.lock:
            self.get(name)
            current = self.ctx.store.get_resource(POLICY, name)
            if revision is not None and (current is None or current["revision"] != revision):
                raise PreconditionFailed(f"Revision {revision} of the policy is not the current one.")
            new_revision = str(uuid.uuid4())
            self.ctx.store.put_resource(POLICY, name, {"policy": policy, "revision": new_revision})
        return policy, new_revision

    def delete_policy(self, name: str) -> None:
        self.get(name)
        if not self.ctx.store.delete_resource(POLICY, name):
            raise NotFound(f"Resource-based policy for registry {name} does not exist.")
