"""The embedded EventBridge engine."""

from bus.engine.engine import Engine, PutEventsResult

__all__ = ["Engine", "PutEventsResult"]
