"""core/bus package."""
