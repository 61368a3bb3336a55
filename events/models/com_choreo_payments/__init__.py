"""Typed bindings of the events of com.choreo.payments."""
