"""Sites of the group: the sites.yaml format, its validation, the site store and the columns (栏目) of each site."""

from core.sites.columns import classify_columns, ensure_column, set_type_override
from core.sites.config import LEVELS, SiteConfig, load_sites_file, parse_sites
from core.sites.ids import check_site_id, is_site_id
from core.sites.service import (
    add_site_if_missing,
    add_sites_if_missing,
    count_sites,
    get_site,
    is_crawled,
    known_site,
    list_sites,
    site_configs,
    site_ids,
    sync_sites,
)

__all__ = [
    "LEVELS",
    "SiteConfig",
    "add_site_if_missing",
    "add_sites_if_missing",
    "check_site_id",
    "classify_columns",
    "count_sites",
    "ensure_column",
    "get_site",
    "is_crawled",
    "is_site_id",
    "known_site",
    "list_sites",
    "load_sites_file",
    "parse_sites",
    "set_type_override",
    "site_configs",
    "site_ids",
    "sync_sites",
]
