"""`python -m ops.chaos`: a fault campaign against a `yiwang up` mesh under load (docs/operations.md)."""
