"""Vouchers: uploaded into the blob store (filesystem by default, S3-compatible when configured) and recorded, so
items and spending can cite them by SHA-256."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from core.disclosure.blobs import BlobStore, FilesystemBlobStore, check_sha256, store_voucher
from core.disclosure.models import BlobRef
from core.errors import Invalid
from core.settings import Settings


def blob_store(settings: Settings) -> BlobStore:
    """The S3-compatible store when DISCLOSURE_S3_ENDPOINT is set, else files in DATA_DIR/blobs."""
    if settings.disclosure_s3_endpoint:
        from core.disclosure.s3 import S3BlobStore

        return S3BlobStore.of(settings)
    return FilesystemBlobStore(settings.data_dir / "blobs")


async def upload_voucher(
    *, pool: asyncpg.Pool, blobs: BlobStore, data: bytes, name: str, max_bytes: int, by: str
) -> BlobRef:
    """Store the bytes (once, whatever their name) and record them; the first name given is kept."""
    ref = await store_voucher(blobs, data, name, max_bytes)
    row = await pool.fetchrow(
        """insert into disclosure_vouchers (sha256, name, media_type, size, uploaded_by) values ($1, $2, $3, $4, $5)
           on conflict (sha256) do update set sha256 = excluded.sha256
           returning sha256, name, media_type, size""",
        ref.sha256,
        ref.name,
        ref.media_type,
        ref.size,
        by,
    )
    return BlobRef(sha256=row["sha256"], name=row["name"], media_type=row["media_type"], size=row["size"])


async def known_vouchers(pool: asyncpg.Pool, digests: Sequence[str]) -> list[BlobRef]:
    """The recorded vouchers of these digests, in order; Invalid naming any that was never uploaded."""
    wanted = [check_sha256(d.strip().lower()) for d in digests]
    rows = await pool.fetch(
        "select sha256, name, media_type, size from disclosure_vouchers where sha256 = any($1::text[])", wanted
    )
    found = {r["sha256"]: BlobRef(**dict(r)) for r in rows}
    missing = [d for d in wanted if d not in found]
    if missing:
        raise Invalid(f"no uploaded voucher {missing[0]}: upload it first (uploadVoucher)")
    return [found[d] for d in dict.fromkeys(wanted)]


async def voucher_ref(pool: asyncpg.Pool, digest: str) -> BlobRef | None:
    row = await pool.fetchrow(
        "select sha256, name, media_type, size from disclosure_vouchers where sha256 = $1", check_sha256(digest)
    )
    return BlobRef(**dict(row)) if row else None
