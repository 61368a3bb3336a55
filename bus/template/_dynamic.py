"""CloudFormation dynamic references, resolved locally: ``{{resolve:secretsmanager:...}}`` and
``{{resolve:ssm:...}}`` / ``{{resolve:ssm-secure:...}}``.

On AWS, CloudFormation reads these from Secrets Manager and Parameter Store at deploy time; the
same template.yaml runs locally, so the values come from the machine instead, first match wins:

1. an environment variable ``CHOREO_RESOLVE_<SERVICE>_<ID>[_<JSON KEY>]``, upper-cased, every run
   of other characters turned into ``_``:
   ``{{resolve:secretsmanager:prod/datadog:SecretString:apiKey}}`` reads
   ``CHOREO_RESOLVE_SECRETSMANAGER_PROD_DATADOG_APIKEY``, ``{{resolve:ssm:/choreo/slack/token}}``
   reads ``CHOREO_RESOLVE_SSM_CHOREO_SLACK_TOKEN``;
2. a JSON secrets file (``load_template(secrets_file=...)``, else ``$CHOREO_SECRETS_FILE``),
   readable by its owner only, shaped like the two services::

       {"secretsmanager": {"prod/datadog": {"apiKey": "..."}, "prod/zendesk": "plain secret"},
        "ssm": {"/choreo/slack/token": "..."}}

A reference with neither is a TemplateError naming the reference and both places to put it, never
a value. Version stages and ids are accepted and ignored: there is one local version.
"""

from __future__ import annotations

import json
import os
import re
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bus.template._intrinsics import fail

__all__ = ["SECRETS_FILE_VARIABLE", "DynamicReferences", "environment_name"]

SECRETS_FILE_VARIABLE = "CHOREO_SECRETS_FILE"
_REFERENCE = re.compile(r"\{\{resolve:(secretsmanager|ssm|ssm-secure):([^}]+)\}\}")
_SERVICE_SECTION = {"secretsmanager": "secretsmanager", "ssm": "ssm", "ssm-secure": "ssm"}


def environment_name(service: str, identifier: str, json_key: str | None = None) -> str:
    """The variable a reference reads: ``("ssm", "/a/b")`` -> ``CHOREO_RESOLVE_SSM_A_B``."""
    parts = [_SERVICE_SECTION[service], identifier, *([json_key] if json_key else [])]
    return "CHOREO_RESOLVE_" + re.sub(r"[^A-Za-z0-9]+", "_", "_".join(parts)).strip("_").upper()


class DynamicReferences:
    """Replaces every dynamic reference in resolved property values."""

    def __init__(
        self,
        *,
        secrets_file: str | Path | None = None,
        environ: Mapping[str, str] | None = None,
        keep_unresolved: bool = False,
    ) -> None:
        # keep_unresolved: a reference with no local value stays as written instead of failing, for
        # tools that read the template without deploying it (choreo lint, schemas check, map)
        self._keep = keep_unresolved
        self._environ = os.environ if environ is None else environ
        chosen = secrets_file or self._environ.get(SECRETS_FILE_VARIABLE)
        self._file = Path(chosen) if chosen else None
        self._values: dict[str, Any] | None = None

    def resolve(self, value: Any, path: str) -> Any:
        if isinstance(value, str):
            return (
                _REFERENCE.sub(lambda m: self._lookup(m.group(1), m.group(2), path), value)
                if "{{resolve:" in value
                else value
            )
        if isinstance(value, dict):
            return {k: self.resolve(v, f"{path}.{k}") for k, v in value.items()}
        if isinstance(value, list):
            return [self.resolve(v, f"{path}[{i}]") for i, v in enumerate(value)]
        return value

    def _lookup(self, service: str, spec: str, path: str) -> str:
        identifier, json_key = _parse(service, spec)
        variable = environment_name(service, identifier, json_key)
        if variable in self._environ:
            return self._environ[variable]
        found = self._from_file(service, identifier, json_key, path)
        if found is not None:
            return found
        if self._keep:
            return f"{{{{resolve:{service}:{spec}}}}}"
        where = f" or {self._file}" if self._file else f" or a secrets file named by ${SECRETS_FILE_VARIABLE}"
        raise fail(path, f"{{{{resolve:{service}:{spec}}}}} has no local value: set {variable}{where}")

    def _from_file(self, service: str, identifier: str, json_key: str | None, path: str) -> str | None:
        values = self._load(path)
        entry = (values.get(_SERVICE_SECTION[service]) or {}).get(identifier)
        if entry is None:
            return None
        if json_key is None:
            return entry if isinstance(entry, str) else json.dumps(entry)
        if isinstance(entry, str):
            try:
                entry = json.loads(entry)
            except json.JSONDecodeError:
                return None
        picked = entry.get(json_key) if isinstance(entry, dict) else None
        if picked is None:
            return None
        return picked if isinstance(picked, str) else json.dumps(picked)

    def _load(self, path: str) -> dict[str, Any]:
        if self._values is not None:
            return self._values
        if self._file is None:
            self._values = {}
            return self._values
        try:
            mode = self._file.stat().st_mode
            if mode & (stat.S_IRWXG | stat.S_IRWXO):
                raise fail(path, f"secrets file {self._file} must be readable by its owner only (chmod 600)")
            loaded = json.loads(self._file.read_text(encoding="utf-8"))
        except OSError as exc:
            raise fail(path, f"secrets file {self._file} cannot be read ({exc.strerror})") from None
        except json.JSONDecodeError as exc:
            # the position only: the text around it may be a secret
            raise fail(path, f"secrets file {self._file} is not JSON (line {exc.lineno})") from None
        if not isinstance(loaded, dict):
            raise fail(path, f"secrets file {self._file} must hold a JSON object")
        self._values = loaded
        return self._values


def _parse(service: str, spec: str) -> tuple[str, str | None]:
    """The secret or parameter name, and the JSON key a Secrets Manager reference picks.

    ``secretsmanager:secret-id:SecretString:json-key:version-stage:version-id`` (an ARN as the
    secret id keeps its colons); ``ssm:parameter-name:version``.
    """
    if service != "secretsmanager":
        return spec.split(":", 1)[0], None
    if spec.startswith("arn:"):
        parts = spec.split(":")
        identifier, rest = ":".join(parts[:7]), parts[7:]
    else:
        identifier, *rest = spec.split(":")
    json_key = rest[1] if len(rest) > 1 and rest[0] == "SecretString" and rest[1] else None
    return identifier, json_key
