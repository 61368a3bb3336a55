"""Connections and API destinations from template.yaml, with credentials given as dynamic
references that resolve from environment variables or an owner-only secrets file."""

from __future__ import annotations

import json
import os
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from bus.engine.runtime import LocalBus
from bus.engine.targets.connections import apply_connections
from bus.template import TemplateError, load_template
from bus.template._dynamic import DynamicReferences, environment_name
from tests.support.http_stubs import Recorded, Reply, StubServer, wait_for

TEMPLATE = """
Parameters:
  HookUrl:
    Type: String
Resources:
  Datadog:
    Type: AWS::Events::Connection
    Properties:
      Name: datadog
      AuthorizationType: API_KEY
      AuthParameters:
        ApiKeyAuthParameters:
          ApiKeyName: DD-API-KEY
          ApiKeyValue: '{{resolve:secretsmanager:prod/datadog:SecretString:apiKey}}'
        InvocationHttpParameters:
          HeaderParameters:
            - Key: x-region
              Value: '{{resolve:ssm:/choreo/region}}'
              IsValueSecret: false
  Logs:
    Type: AWS::Events::ApiDestination
    Properties:
      Name: datadog-logs
      ConnectionArn: !GetAtt Datadog.Arn
      InvocationEndpoint: !Ref HookUrl
      HttpMethod: POST
      InvocationRateLimitPerSecond: 10
  ToDatadog:
    Type: AWS::Events::Rule
    Properties:
      EventPattern: {"source": ["shop"]}
      Targets:
        - Id: datadog
          Arn: !GetAtt Logs.Arn
          InputTransformer:
            InputPathsMap: {detail: $.detail}
            InputTemplate: '{"message": <detail>}'
"""


@pytest.fixture
def template(tmp_path: Path) -> Path:
    path = tmp_path / "template.yaml"
    path.write_text(textwrap.dedent(TEMPLATE))
    return path


def _secrets_file(tmp_path: Path, content: object, mode: int = 0o600) -> Path:
    path = tmp_path / "secrets.json"
    path.write_text(json.dumps(content))
    path.chmod(mode)
    return path


def test_environment_names() -> None:
    assert (
        environment_name("secretsmanager", "prod/datadog", "apiKey")
        == "CHOREO_RESOLVE_SECRETSMANAGER_PROD_DATADOG_APIKEY"
    )
    assert environment_name("ssm-secure", "/choreo/slack/token") == "CHOREO_RESOLVE_SSM_CHOREO_SLACK_TOKEN"


def test_references_resolve_from_the_environment_first_then_the_file(tmp_path: Path) -> None:
    secrets = _secrets_file(
        tmp_path,
        {
            "secretsmanager": {
                "prod/datadog": {"apiKey": "from-file"},
                "plain": "pl41n",
                "json": '{"k": "v"}',
            },
            "ssm": {"/choreo/region": "eu-west-1"},
        },
    )
    env = {"CHOREO_RESOLVE_SECRETSMANAGER_PROD_DATADOG_APIKEY": "from-env"}
    refs = DynamicReferences(secrets_file=secrets, environ=env)
    value = {
        "a": "{{resolve:secretsmanager:prod/datadog:SecretString:apiKey}}",
        "b": ["x-{{resolve:ssm:/choreo/region:3}}-y", "{{resolve:secretsmanager:plain}}"],
        "c": "{{resolve:secretsmanager:json:SecretString:k::}}",
        "d": 5,
    }
    assert refs.resolve(value, "R") == {"a": "from-env", "b": ["x-eu-west-1-y", "pl41n"], "c": "v", "d": 5}
    assert DynamicReferences(secrets_file=secrets, environ={}).resolve(value["a"], "R") == "from-file"


def test_an_unresolved_reference_names_where_to_put_it_and_no_value(tmp_path: Path) -> None:
    secrets = _secrets_file(tmp_path, {"secretsmanager": {"prod/datadog": {"other": "n0t-this"}}})
    refs = DynamicReferences(secrets_file=secrets, environ={})
    with pytest.raises(TemplateError) as missing:
        refs.resolve(
            {"Key": "{{resolve:secretsmanager:prod/datadog:SecretString:apiKey}}"}, "Conn.AuthParameters"
        )
    message = missing.value.message
    assert message.startswith(
        "Conn.AuthParameters.Key: {{resolve:secretsmanager:prod/datadog:SecretString:apiKey}}"
    )
    assert "CHOREO_RESOLVE_SECRETSMANAGER_PROD_DATADOG_APIKEY" in message and str(secrets) in message
    assert "n0t-this" not in message


def test_tools_that_only_read_the_template_keep_unresolved_references(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in [n for n in os.environ if n.startswith("CHOREO_RESOLVE_")]:
        monkeypatch.delenv(name)
    template = Path(__file__).resolve().parents[2] / "template.yaml"
    with pytest.raises(TemplateError, match="has no local value"):
        load_template(template)
    config = load_template(template, keep_unresolved=True)  # choreo lint, schemas check, map
    assert config.rules and any("{{resolve:" in json.dumps(c.properties) for c in config.connections)


def test_a_secrets_file_others_can_read_is_refused(tmp_path: Path) -> None:
    secrets = _secrets_file(tmp_path, {"ssm": {"/a": "b"}}, mode=0o644)
    with pytest.raises(TemplateError, match="readable by its owner only"):
        DynamicReferences(secrets_file=secrets, environ={}).resolve("{{resolve:ssm:/a}}", "R")


def test_a_template_connection_with_resolved_secrets_delivers(
    tmp_path: Path, template: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    received: list[Recorded] = []

    def hook(request: Recorded) -> Reply:
        received.append(request)
        return Reply(202)

    monkeypatch.setenv("CHOREO_RESOLVE_SECRETSMANAGER_PROD_DATADOG_APIKEY", "dd-k3y-from-env")
    secrets = _secrets_file(tmp_path, {"ssm": {"/choreo/region": "eu-west-1"}})
    with StubServer() as server:
        url = server.route("/api/v2/logs", hook)
        config = load_template(template, parameters={"HookUrl": url}, secrets_file=secrets)
        (conn,) = config.connections
        assert conn.properties["AuthParameters"]["ApiKeyAuthParameters"]["ApiKeyValue"] == "dd-k3y-from-env"
        with LocalBus(tmp_path / "data") as bus:
            assert "connection datadog" in bus.apply(config)
            assert "connection datadog" not in bus.apply(config)  # idempotent
            assert apply_connections(bus.store, config.connections, now=bus.engine.clock.now()) == []
            bus.engine.put_events([{"Source": "shop", "DetailType": "x", "Detail": '{"total": 120}'}])
            wait_for(lambda: len(received) == 1, what="the API call")
    (request,) = received
    assert request.headers["dd-api-key"] == "dd-k3y-from-env" and request.headers["x-region"] == "eu-west-1"
    assert request.json() == {"message": {"total": 120}}


def test_template_checks_connections_and_destinations(tmp_path: Path, template: Path) -> None:
    env = {"CHOREO_RESOLVE_SECRETSMANAGER_PROD_DATADOG_APIKEY": "k", "CHOREO_RESOLVE_SSM_CHOREO_REGION": "r"}
    with pytest.MonkeyPatch.context() as patch:
        for key, value in env.items():
            patch.setenv(key, value)
        with pytest.raises(TemplateError, match=r"Logs\.InvocationEndpoint: must be an https URL"):
            load_template(template, parameters={"HookUrl": "http://hooks.example/x"})
        broken = tmp_path / "broken.yaml"
        broken.write_text(
            template.read_text().replace("AuthorizationType: API_KEY", "AuthorizationType: BASIC")
        )
        with pytest.raises(TemplateError, match="BasicAuthParameters must be specified"):
            load_template(broken, parameters={"HookUrl": "https://hooks.example/x"})


@pytest.fixture(autouse=True)
def _no_secrets_file_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("CHOREO_SECRETS_FILE", raising=False)
    yield
