"""Starlette routes, one module per domain."""
