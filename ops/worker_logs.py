"""Loaded by each dramatiq worker process after `workers.actors` (`yiwang worker` names it): our log format.

dramatiq's CLI sets up its own `%(message)s` logging in every worker process, which drops each line's fields
(a bare "crawl finished", no site); this puts the formatter of every other process in its place."""

from __future__ import annotations

from core.logs import setup_logging
from core.settings import get_settings

_settings = get_settings()
setup_logging(_settings.log_level, _settings.log_format, "worker-process")
