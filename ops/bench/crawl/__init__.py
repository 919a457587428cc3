"""Crawl benchmark (run by hand): our crawler vs Scrapy on one generated local site, in the same run."""
