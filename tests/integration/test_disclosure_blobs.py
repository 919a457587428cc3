"""The voucher store contract, run against the filesystem store always and against an S3-compatible endpoint
where DISCLOSURE_S3_ENDPOINT (with its bucket and keys) is configured; that part skips with the reason otherwise."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from core.disclosure.blobs import BlobStore, FilesystemBlobStore, describe
from core.disclosure.s3 import S3BlobStore
from core.errors import Invalid, NotFound
from core.settings import Settings

pytestmark = pytest.mark.integration

PNG = b"\x89PNG\r\n\x1a\n" + uuid.uuid4().bytes  # unique per run: a shared bucket keeps earlier runs' objects


def filesystem(tmp_path: Path) -> BlobStore:
    return FilesystemBlobStore(tmp_path / "blobs")


def s3(tmp_path: Path) -> BlobStore:
    settings = Settings.from_env()
    if not settings.disclosure_s3_endpoint:
        pytest.skip("DISCLOSURE_S3_ENDPOINT is not set: no S3-compatible store to run the contract against")
    return S3BlobStore.of(settings)


@pytest.mark.parametrize("make", [filesystem, s3], ids=["filesystem", "s3"])
async def test_the_blob_store_contract(make: Callable[[Path], BlobStore], tmp_path: Path) -> None:
    store = make(tmp_path)
    ref = describe(PNG, "凭证.png", 1024)
    assert (ref.media_type, ref.sha256) == ("image/png", hashlib.sha256(PNG).hexdigest())
    assert not await store.exists(ref.sha256)
    await store.put(ref.sha256, PNG, ref.media_type)
    await store.put(ref.sha256, PNG, ref.media_type)  # the same bytes again: stored once, no error
    assert await store.exists(ref.sha256) and await store.get(ref.sha256) == PNG
    with pytest.raises(Invalid, match="do not have the SHA-256"):
        await store.put(ref.sha256, PNG + b"x", ref.media_type)
    with pytest.raises(NotFound):
        await store.get(hashlib.sha256(b"never stored").hexdigest())


def test_vouchers_are_checked_before_they_are_stored(tmp_path: Path) -> None:
    with pytest.raises(Invalid, match="PDF, PNG or JPEG"):
        describe(b"<script>", "a.pdf", 1024)
    with pytest.raises(Invalid, match="at most 8 are allowed"):
        describe(PNG, "a.png", 8)
    with pytest.raises(Invalid, match="without slashes"):
        describe(PNG, "../a.png", 1024)
    digest = hashlib.sha256(PNG).hexdigest()
    assert FilesystemBlobStore(tmp_path).path(digest) == tmp_path / digest[:2] / digest[2:4] / digest
    with pytest.raises(Invalid, match="is not a SHA-256"):
        FilesystemBlobStore(tmp_path).path("../../etc/passwd")
