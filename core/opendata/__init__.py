"""Open data (issue 14): a CKAN-compatible catalogue of departments, domains, datasets and resources, its datastore,
DCAT-AP, developer keys and the 回头看 quality review."""
