"""Secrets kept out of what is printed and logged: URLs with passwords or tokens, key/value DSNs, settings whose
name says they are secret (`yiwang config`, logs, error messages)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

SECRET_PARAMS = ("password", "passwd", "pass", "token", "secret", "key", "api_key", "apikey", "auth_token")


# The last word of a setting's name that makes its whole value a secret (MEILISEARCH_KEY, IDENTITY_KEY_SECRET);
# counts and limits named after them end otherwise (MAX_QUERY_TOKENS, ACCESS_TOKEN_TTL_S, OPENDATA_KEY_RATE_PER_MIN).
SECRET_WORDS = ("key", "token", "secret", "password", "passwd", "passphrase", "salt", "credentials")
_URL_IN_TEXT = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s,;\"'<>]+")
# `password=…` of a key/value DSN (`host=db user=u password=…`) or of any text that is not a URL
_SECRET_PAIR = re.compile(
    r"(?i)\b(" + "|".join(SECRET_PARAMS) + r"|sslpassword)(\s*=\s*)('[^']*'|\"[^\"]*\"|[^\s&,;]+)"
)


def secret_name(name: str) -> bool:
    """Whether a setting's value is a secret by its name's last word."""
    return name.lower().rsplit("_", 1)[-1] in SECRET_WORDS


def mask_text(text: str) -> str:
    """A setting's text with the secrets inside masked: each URL in it as `mask_url` masks it, and the value of
    each `password=` / `token=` / `secret=` … pair outside URLs (a key/value DSN)."""
    parts: list[str] = []
    last = 0
    for m in _URL_IN_TEXT.finditer(text):
        parts += [_SECRET_PAIR.sub(r"\1\2****", text[last : m.start()]), mask_url(m.group())]
        last = m.end()
    parts.append(_SECRET_PAIR.sub(r"\1\2****", text[last:]))
    return "".join(parts)


def mask_url(url: str) -> str:
    """The URL with its secrets masked: `user:****@`, a lone userinfo (a NATS token) as `****@`, and the
    values of query parameters such as `password` or `token`; each URL of a comma-separated list (NATS_URL)."""
    if "," in url and all("://" in one for one in url.split(",")):
        return ",".join(mask_url(one.strip()) for one in url.split(","))
    try:
        parts = urlsplit(url)
    except ValueError:
        return "****"
    netloc, query = parts.netloc, parts.query
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        user, has_password, _ = userinfo.partition(":")
        if has_password:
            netloc = f"{user}:****@{host}"
        elif not parts.scheme.startswith("postgres"):  # a lone userinfo is a token (nats://TOKEN@), not a role
            netloc = f"****@{host}"
    if query:
        pairs = [pair.partition("=") for pair in query.split("&")]
        query = "&".join(f"{k}{eq}****" if eq and k.lower() in SECRET_PARAMS else f"{k}{eq}{v}" for k, eq, v in pairs)
    return urlunsplit(parts._replace(netloc=netloc, query=query))
