"""The service knowledge graph (办事知识图谱): services, their materials, places and bases, and what it answers."""
