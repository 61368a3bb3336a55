"""Storage behind a small interface: ``MemoryStore`` for tests, ``SqliteStore`` for durability."""

from bus.store.base import Store
from bus.store.memory import MemoryStore
from bus.store.sqlite import SqliteStore

__all__ = ["MemoryStore", "SqliteStore", "Store"]
