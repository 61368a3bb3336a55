"""The inventory service (a consumer of the order saga)."""
