"""ops/demo package."""
