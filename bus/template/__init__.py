"""Read template.yaml (the same file SAM deploys) into what the engine acts on.

``load_template(path)`` expands SAM, resolves parameters, conditions and intrinsics, and returns
a ``Configuration`` of ``bus.model`` records (buses, rules and their targets, archives, queues)
plus log groups, Lambda functions and the raw properties of connections, API destinations and
schema registries and discoverers::

    config = load_template("template.yaml", parameters={"RetentionDays": "7"})
    for rule in config.rules:
        print(rule.name, rule.event_pattern, [t.arn for t in config.targets_of(rule)])

``load_rules(path)`` is the first, lighter reader used by ``choreo demo``: rules and targets as
written, references shown by logical id.
"""

from bus.template._config import Configuration, Function, LogGroup, RawResource
from bus.template._errors import TemplateError
from bus.template._loader import DEFAULT_ENDPOINT, load_template
from bus.template._rules import RuleSpec, TargetSpec, load_rules

__all__ = [
    "DEFAULT_ENDPOINT",
    "Configuration",
    "Function",
    "LogGroup",
    "RawResource",
    "RuleSpec",
    "TargetSpec",
    "TemplateError",
    "load_rules",
    "load_template",
]
