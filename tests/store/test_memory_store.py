"""MemoryStore against the Store contract."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bus.store import MemoryStore, Store
from tests.store.contract import StoreContract


class TestMemoryStore(StoreContract):
    @pytest.fixture
    def store(self) -> Iterator[Store]:
        store = MemoryStore()
        yield store
        store.close()
