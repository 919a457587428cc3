"""Documents for policy-library tests, built like the document store returns them."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from core.documents import Document


def document(title: str, text: str = "", *, kind: str = "policy", doc_no: str | None = None,
             issuer: str | None = None, published: date | None = None, column: str | None = None,
             **meta: Any) -> Document:  # fmt: skip
    now = datetime(2024, 6, 1, tzinfo=UTC)
    return Document(
        id=str(uuid.uuid4()), url=f"https://www.example.gov.cn/{uuid.uuid4().hex[:8]}.html", site_id="demo-portal",
        kind=kind, title=title, text=text, published_at=published, column=column, doc_no=doc_no, doc_no_norm=None,
        issuer=issuer, metadata=meta, attachments=[], content_hash="h", version=1, first_seen=now, last_changed=now,
        gone=False,
    )  # fmt: skip
