"""The payments service (a consumer of the order saga)."""
