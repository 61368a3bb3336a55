"""``choreo lint``: seeded mistakes give exactly the expected findings; template.yaml is clean."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from bus.cli import app
from bus.schemas import FindingKind, Reliance, lint
from bus.template import load_template
from events.contracts import load_contracts

ROOT = Path(__file__).resolve().parents[2]
MISTAKES = Path(__file__).parent / "data" / "lint-mistakes.yaml"
runner = CliRunner()
K = FindingKind

EXPECTED = {
    ("TypoRule", "", K.UNKNOWN_FIELD, "detail.data.totl"),
    ("NumericOnStringRule", "", K.TYPE_MISMATCH, "detail.data.failureReason"),
    ("PrefixOnNumberRule", "", K.TYPE_MISMATCH, "detail.data.total"),
    ("OutsideEnumRule", "", K.NEVER_MATCHES, "detail.data.reason"),
    ("NegativeTotalRule", "", K.NEVER_MATCHES, "detail.data.total"),
    ("AbsentRequiredRule", "", K.NEVER_MATCHES, "detail.data.orderId"),
    ("NoContractRule", "", K.NO_CONTRACT, ""),
    ("TransformerRule", "notify", K.TRANSFORMER_PATH_MISSING, "$.detail.data.reason"),
    ("TransformerRule", "notify", K.TRANSFORMER_PATH_MISSING, "$.detial.data.orderId"),
    ("PinnedToV1Rule", "", K.UNKNOWN_FIELD, "detail.data.customer.tier"),
}


def test_seeded_mistakes_give_exactly_the_expected_findings() -> None:
    report = lint(load_template(MISTAKES), load_contracts())
    assert {(f.rule, f.target, f.kind, f.path) for f in report.findings} == EXPECTED
    assert len(report.findings) == len(EXPECTED)
    by_rule = {f.rule: f.message for f in report.findings}
    assert "com.choreo.orders@OrderPlaced 1.1" in by_rule["PinnedToV1Rule"]
    assert "2.0" not in by_rule["PinnedToV1Rule"]  # the pin keeps v2 out of the question


def test_the_projects_template_is_clean() -> None:
    report = lint(load_template(ROOT / "template.yaml"), load_contracts())
    assert report.findings == ()
    assert report.rules == 5  # four consumers' rules (SAM function events) and the notifications rule


def test_it_says_which_consumer_relies_on_which_fields() -> None:
    report = lint(load_template(ROOT / "template.yaml"), load_contracts())
    notify = [r for r in report.reliance if r.consumer == "CustomerNotificationsRule/notify-customer"]
    # the input transformer reads two detail fields of each event it forwards, nothing else
    assert notify == [
        Reliance(
            "CustomerNotificationsRule/notify-customer",
            schema,
            ("1.0",),
            ("data.orderId", "metadata.correlation-id"),
        )
        for schema in (
            "com.choreo.inventory@StockUnavailable",
            "com.choreo.payments@PaymentFailed",
            "com.choreo.shipping@OrderShipped",
        )
    ]
    inventory = next(
        r for r in report.reliance if r.consumer.startswith("ReserveStockFunctionOrderPlacedV1/")
    )
    assert (inventory.versions, inventory.fields) == (("1.0", "1.1"), None)  # pinned: 2.0 never reaches it
    payments = next(
        r for r in report.reliance if r.consumer.startswith("ChargePaymentFunctionStockReserved/")
    )
    assert payments.versions == ("1.1",)  # only 1.1 carries the amount its pattern asks for
    mistakes = lint(load_template(MISTAKES), load_contracts())
    vip = next(r for r in mistakes.reliance if r.consumer == "PinnedToV2Rule/vip")
    assert (vip.versions, vip.fields) == (
        ("2.0",),
        ("data.customer.id", "data.customer.tier", "data.items.sku", "metadata.schema-version"),
    )
    clean = {r.schema: r.fields for r in mistakes.reliance if r.consumer == "CleanRule/clean"}
    assert clean["com.choreo.inventory@StockReleased"] == ("data.orderId",)  # per $or branch
    assert clean["com.choreo.payments@PaymentFailed"] == ("data.failureReason", "data.orderId")


def test_the_command_exits_by_its_findings_and_prints_json() -> None:
    clean = runner.invoke(app, ["lint", "--template", str(ROOT / "template.yaml")])
    assert clean.exit_code == 0, clean.output
    assert "clean" in clean.output and "Who relies on what" in clean.output
    seeded = runner.invoke(app, ["lint", "--template", str(MISTAKES), "--json"])
    assert seeded.exit_code == 1
    kinds = sorted(f["kind"] for f in json.loads(seeded.output)["findings"])
    assert kinds == sorted(k.name for _, _, k, _ in EXPECTED)
    missing = runner.invoke(app, ["lint", "--template", str(MISTAKES.with_name("none.yaml"))])
    assert missing.exit_code == 2
