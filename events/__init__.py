"""Event contracts: the schemas of events/schemas/ (see events/README.md), their loader
(``events.contracts``) and the pydantic models generated from them (``events.models``,
``events.typed``). The bottom layer: it imports nothing from ``bus`` or the services.
"""
