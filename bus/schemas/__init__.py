"""Contract tooling over ``events/schemas/``: typed bindings, compatibility checks, lint, pull.

>>> from events.contracts import load_contracts
>>> report = check_contracts(load_contracts())
>>> report.ok
True
"""

from bus.schemas._check import CheckReport, Verdict, affected, check_contracts
from bus.schemas._compat import Break, Change, ChangeKind, diff
from bus.schemas._ingest import IngestValidator
from bus.schemas._lint import Finding, FindingKind, LintReport, Reliance, lint
from bus.schemas._pull import Pulled, PullOutcome, write_pulled
from bus.schemas.codegen import CodegenError, generate_models, python_bindings, write_models

__all__ = [
    "Break",
    "Change",
    "ChangeKind",
    "CheckReport",
    "CodegenError",
    "Finding",
    "FindingKind",
    "IngestValidator",
    "LintReport",
    "PullOutcome",
    "Pulled",
    "Reliance",
    "Verdict",
    "affected",
    "check_contracts",
    "diff",
    "generate_models",
    "lint",
    "python_bindings",
    "write_models",
    "write_pulled",
]
