"""Search benchmark (run by hand): tantivy engine and GraphQL against Postgres FTS and pg_trgm, same run."""
