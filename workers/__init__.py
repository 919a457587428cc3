"""Dramatiq actors and JetStream consumers: thin adapters over core services."""
