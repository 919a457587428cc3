"""Extraction of government pages and feeds: title, main text, 政府信息公开 metadata, attachments, links, kind."""

from scrapers.extract.feeds import FeedItem, parse_feed
from scrapers.extract.model import Attachment, Extracted, Link, Meta
from scrapers.extract.page import extract

__all__ = ["Attachment", "Extracted", "FeedItem", "Link", "Meta", "extract", "parse_feed"]
