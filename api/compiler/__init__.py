"""The compiled read path: an eligible GraphQL query becomes one SQL statement whose result is the
response's `data` (see docs/compiler.md). `runtime.CompiledReadPath` is what the view calls."""
