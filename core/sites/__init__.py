"""Sites of the group: the sites.yaml format, its validation, and the site store."""

from core.sites.config import LEVELS, SiteConfig, load_sites_file, parse_sites
from core.sites.service import get_site, list_sites, sync_sites

__all__ = ["LEVELS", "SiteConfig", "get_site", "list_sites", "load_sites_file", "parse_sites", "sync_sites"]
