"""Schemas and their versions, numbered as AWS numbers them.

- CreateSchema makes version ``1``; each UpdateSchema with new Content adds the next number.
- Content equal to the latest version's (as JSON) adds nothing: UpdateSchema answers with the
  latest version, so re-applying the same file is idempotent.
- Numbers are never reused: after DeleteSchemaVersion of ``3``, the next version is ``4``.
- Without ``SchemaVersion``, Describe / Export / code bindings use the latest version.
"""

from __future__ import annotations

from dataclasses import replace

from bus.registry._content import check_content, same_content
from bus.registry._context import Page, RegistryContext, page
from bus.registry._naming import check_schema_name
from bus.registry._records import (
    BINDING,
    OBSERVED,
    SCHEMA,
    VERSION,
    Schema,
    SchemaVersion,
    from_doc,
    schema_key,
    to_doc,
    version_key,
)
from bus.registry._registries import Registries
from bus.registry.errors import BadRequest, Conflict, NotFound

__all__ = ["Schemas"]


class Schemas:
    def __init__(self, ctx: RegistryContext, registries: Registries) -> None:
        self.ctx = ctx
        self.registries = registries

    def _arn(self, registry: str, name: str) -> str:
        return self.ctx.arn(f"schema/{registry}/{name}")

    # ------------------------------------------------------------------ reads
    def get(self, registry: str, name: str) -> Schema:
        self.registries.get(registry)
        doc = self.ctx.store.get_resource(SCHEMA, schema_key(registry, name))
        if doc is None:
            raise NotFound(f"Schema with name {name} does not exist in registry {registry}.")
        return from_doc(Schema, doc)

    def version(self, registry: str, name: str, version: str | None = None) -> tuple[Schema, SchemaVersion]:
        schema = self.get(registry, name)
        number = schema.latest if version is None else _number(version)
        doc = self.ctx.store.get_resource(VERSION, version_key(registry, name, number)) if number else None
        if doc is None:
            raise NotFound(f"Version {version} of schema {name} does not exist.")
        return schema, from_doc(SchemaVersion, doc)

    def listing(
        self, registry: str, *, prefix: str = "", limit: int | None = None, token: str | None = None
    ) -> Page[Schema]:
        self.registries.get(registry)
        docs = self.ctx.store.list_resources(SCHEMA, schema_key(registry, prefix))
        return page([from_doc(Schema, d) for _, d in docs], lambda s: s.name, limit, token)

    def versions(
        self, registry: str, name: str, *, limit: int | None = None, token: str | None = None
    ) -> Page[SchemaVersion]:
        self.get(registry, name)
        docs = self.ctx.store.list_resources(VERSION, f"{schema_key(registry, name)}/")
        found = [from_doc(SchemaVersion, d) for _, d in docs]
        return page(found, lambda v: f"{v.version:010d}", limit, token)

    def search(
        self, registry: str, keywords: str, *, limit: int | None = None, token: str | None = None
    ) -> Page[tuple[Schema, list[SchemaVersion]]]:
        """Schemas whose name contains every keyword (case-insensitive, keywords split on spaces),
        each with all its versions."""
        self.registries.get(registry)
        words = keywords.lower().split()
        if not words:
            raise BadRequest("Keywords must not be empty.")
        hits: list[tuple[Schema, list[SchemaVersion]]] = []
        for _, doc in self.ctx.store.list_resources(SCHEMA, f"{registry}/"):
            schema = from_doc(Schema, doc)
            if all(word in schema.name.lower() for word in words):
                listed = self.ctx.store.list_resources(VERSION, f"{schema_key(registry, schema.name)}/")
                hits.append((schema, [from_doc(SchemaVersion, d) for _, d in listed]))
        return page(hits, lambda hit: hit[0].name, limit, token)

    # ------------------------------------------------------------------ writes
    def create(
        self,
        registry: str,
        name: str,
        *,
        schema_type: str,
        content: str,
        description: str = "",
        tags: dict[str, str] | None = None,
    ) -> tuple[Schema, SchemaVersion]:
        check_schema_name(name)
        check_content(schema_type, content)
        with self.ctx.lock:
            self.registries.writable(registry)
            if self.ctx.store.get_resource(SCHEMA, schema_key(registry, name)) is not None:
                raise Conflict(f"Schema with name {name} already exists in registry {registry}.")
            return self._add(registry, name, None, schema_type, content, description, dict(tags or {}), None)

    def update(
        self,
        registry: str,
        name: str,
        *,
        content: str | None = None,
        schema_type: str | None = None,
        description: str | None = None,
    ) -> tuple[Schema, SchemaVersion]:
        with self.ctx.lock:
            self.registries.writable(registry)
            schema, latest = self.version(registry, name)
            if content is None:
                if schema_type is not None and schema_type != schema.type:
                    raise BadRequest("Changing a schema's Type needs new Content.")
                if description is not None:
                    schema = replace(schema, description=description, last_modified=self.ctx.clock.now())
                    self._save(schema)
                return schema, latest
            return self._add(
                registry, name, schema, schema_type or schema.type, content, description, None, None
            )

    def put_version(
        self,
        registry: str,
        name: str,
        *,
        schema_type: str,
        content: str,
        version: int | None = None,
        description: str | None = None,
    ) -> tuple[Schema, SchemaVersion, bool]:
        """Create the schema or add a version when the content differs from the latest one (or from
        version ``version``, which is then written under that number): for seeding and discovery.
        True when something was written. Writes into any registry but AWS's own."""
        check_schema_name(name)
        with self.ctx.lock:
            self.registries.writable(registry)
            doc = self.ctx.store.get_resource(SCHEMA, schema_key(registry, name))
            schema = None if doc is None else from_doc(Schema, doc)
            if schema is not None:
                wanted = schema.latest if version is None else version
                existing = self.ctx.store.get_resource(VERSION, version_key(registry, name, wanted))
                if existing is not None and same_content(str(existing["content"]), content):
                    return schema, from_doc(SchemaVersion, existing), False
            added = self._add(registry, name, schema, schema_type, content, description, None, version)
            return added[0], added[1], True

    def _add(
        self,
        registry: str,
        name: str,
        schema: Schema | None,
        schema_type: str,
        content: str,
        description: str | None,
        tags: dict[str, str] | None,
        number: int | None,
    ) -> tuple[Schema, SchemaVersion]:
        check_content(schema_type, content)
        now = self.ctx.clock.now()
        if schema is not None and number is None:
            _, latest = self.version(registry, name)
            if same_content(latest.content, content) and latest.type == schema_type:
                if description is not None and description != schema.description:
                    schema = replace(schema, description=description, last_modified=now)
                    self._save(schema)
                return schema, latest
        if schema is None:
            number = number or 1
            schema = Schema(
                registry, name, self._arn(registry, name), schema_type, description or "",
                tags or {}, now, number, number + 1, 1,
            )  # fmt: skip
        else:
            replaced = number is not None and self.ctx.store.get_resource(
                VERSION, version_key(registry, name, number)
            )
            number = number or schema.next_version
            schema = replace(
                schema,
                type=schema_type,
                description=schema.description if description is None else description,
                last_modified=now,
                latest=max(schema.latest, number),
                next_version=max(schema.next_version, number + 1),
                version_count=schema.version_count + (0 if replaced else 1),
            )
        created = SchemaVersion(registry, name, number, schema_type, content, now)
        self.ctx.store.put_resource(VERSION, version_key(registry, name, number), to_doc(created))
        self._save(schema)
        return schema, created

    def _save(self, schema: Schema) -> None:
        self.ctx.store.put_resource(SCHEMA, schema_key(schema.registry, schema.name), to_doc(schema))

    def put_tags(self, registry: str, name: str, tags: dict[str, str]) -> None:
        with self.ctx.lock:
            self._save(replace(self.get(registry, name), tags=tags))

    def delete(self, registry: str, name: str) -> None:
        with self.ctx.lock:
            self.registries.writable(registry)
            self.get(registry, name)
            key = schema_key(registry, name)
            for kind in (BINDING, VERSION):
                for found, _ in self.ctx.store.list_resources(kind, f"{key}/"):
                    self.ctx.store.delete_resource(kind, found)
            self.ctx.store.delete_resource(OBSERVED, key)
            self.ctx.store.delete_resource(SCHEMA, key)

    def delete_version(self, registry: str, name: str, version: str) -> None:
        """The only version left cannot go (DeleteSchema removes a schema); deleting the latest
        makes the highest remaining version the latest."""
        with self.ctx.lock:
            self.registries.writable(registry)
            schema, gone = self.version(registry, name, version)
            if schema.version_count <= 1:
                raise BadRequest(f"Version {version} is the only version of {name}: delete the schema.")
            prefix = version_key(registry, name, gone.version)
            for found, _ in self.ctx.store.list_resources(BINDING, f"{prefix}/"):
                self.ctx.store.delete_resource(BINDING, found)
            self.ctx.store.delete_resource(VERSION, prefix)
            remaining = self.ctx.store.list_resources(VERSION, f"{schema_key(registry, name)}/")
            latest = max(int(doc["version"]) for _, doc in remaining)
            self._save(replace(schema, latest=latest, version_count=schema.version_count - 1))


def _number(version: str) -> int:
    """A version's number; 0 (no such version) for anything that is not a positive integer."""
    return int(version) if version.isdigit() and len(version) <= 9 else 0
