"""Versioned SQL migrations, applied in order by core.db.migrate."""
