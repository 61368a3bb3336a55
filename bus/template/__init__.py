"""Read the parts of template.yaml the engine acts on (the same file SAM deploys)."""

from bus.template._loader import RuleSpec, TargetSpec, TemplateError, load_rules

__all__ = ["RuleSpec", "TargetSpec", "TemplateError", "load_rules"]
