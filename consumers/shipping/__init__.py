"""The shipping service (a consumer of the order saga)."""
