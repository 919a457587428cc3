"""Chinese text analysis shared by indexing, search and Q&A."""
