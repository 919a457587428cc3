"""Vouchers (images and PDFs) stored content-addressed: the SHA-256 of the bytes names the file, so the same
voucher uploaded twice is stored once and a stored voucher can never change under its name."""

from __future__ import annotations

import abc
import asyncio
import hashlib
import os
import re
import tempfile
from pathlib import Path

from core.disclosure.models import BlobRef
from core.errors import Invalid, NotFound

SHA256 = re.compile(r"[0-9a-f]{64}")
MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
)
NAME_MAX = 200


def media_type_of(data: bytes) -> str:
    """What the bytes are (by their first bytes, not by what the uploader claims); Invalid for anything but a
    PDF, a PNG or a JPEG."""
    for magic, media_type in MAGIC:
        if data.startswith(magic):
            return media_type
    raise Invalid("a voucher must be a PDF, PNG or JPEG file")


def check_sha256(value: str) -> str:
    if not SHA256.fullmatch(value):
        raise Invalid(f"{value!r} is not a SHA-256 (64 lower-case hex digits)")
    return value


def describe(data: bytes, name: str, max_bytes: int) -> BlobRef:
    """The reference a voucher will have, after checking its size, type and name."""
    if not data:
        raise Invalid("the voucher is empty")
    if len(data) > max_bytes:
        raise Invalid(f"the voucher is {len(data):,} bytes; at most {max_bytes:,} are allowed")
    name = name.strip()
    if not name or len(name) > NAME_MAX or "/" in name or "\\" in name:
        raise Invalid(f"a voucher's name must be 1-{NAME_MAX} characters without slashes")
    return BlobRef(sha256=hashlib.sha256(data).hexdigest(), name=name, media_type=media_type_of(data), size=len(data))


class BlobStore(abc.ABC):
    """Where voucher bytes live, by SHA-256. `put` is idempotent; `get` raises NotFound for unknown digests."""

    @abc.abstractmethod
    async def put(self, sha256: str, data: bytes, media_type: str) -> None: ...

    @abc.abstractmethod
    async def get(self, sha256: str) -> bytes: ...

    @abc.abstractmethod
    async def exists(self, sha256: str) -> bool: ...


async def store_voucher(blobs: BlobStore, data: bytes, name: str, max_bytes: int) -> BlobRef:
    ref = describe(data, name, max_bytes)
    await blobs.put(ref.sha256, data, ref.media_type)
    return ref


class FilesystemBlobStore(BlobStore):
    """Files under DATA_DIR/blobs/ab/cd/<sha256>, written to a temporary file and renamed (never half a file)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, sha256: str) -> Path:
        check_sha256(sha256)
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def _write(self, sha256: str, data: bytes) -> None:
        target = self.path(sha256)
        if target.exists():
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".part-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    async def put(self, sha256: str, data: bytes, media_type: str) -> None:
        if hashlib.sha256(data).hexdigest() != sha256:
            raise Invalid("the bytes do not have the SHA-256 they are stored under")
        await asyncio.to_thread(self._write, sha256, data)

    async def get(self, sha256: str) -> bytes:
        try:
            return await asyncio.to_thread(self.path(sha256).read_bytes)
        except FileNotFoundError:
            raise NotFound(f"no voucher {sha256}") from None

    async def exists(self, sha256: str) -> bool:
        return await asyncio.to_thread(self.path(sha256).exists)
