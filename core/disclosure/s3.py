"""Vouchers in an S3-compatible object store (MinIO, Ceph, OSS, COS, S3): path-style requests signed with AWS
Signature Version 4 over aiohttp. Its contract tests run where DISCLOSURE_S3_ENDPOINT is configured."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime
from urllib.parse import quote, urlsplit

import aiohttp

from core.disclosure.blobs import BlobStore, check_sha256
from core.errors import Invalid, NotFound, Upstream
from core.settings import Settings

ALGORITHM = "AWS4-HMAC-SHA256"
TIMEOUT = aiohttp.ClientTimeout(total=60)


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def signature_v4(
    *,
    method: str,
    url: str,
    headers: dict[str, str],
    payload_sha256: str,
    access_key: str,
    secret_key: str,
    region: str,
    now: datetime,
    service: str = "s3",
) -> str:
    """The Authorization header of a request: every header given (and host) is signed."""
    parts = urlsplit(url)
    amz_date, day = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
    signed = {k.lower(): " ".join(str(v).split()) for k, v in headers.items()}
    signed["host"] = parts.netloc
    names = sorted(signed)
    query = "&".join(
        sorted(
            f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}"
            for k, _, v in (p.partition("=") for p in parts.query.split("&") if p)
        )
    )
    canonical = "\n".join(
        [
            method,
            quote(parts.path or "/", safe="/-_.~"),
            query,
            "".join(f"{n}:{signed[n]}\n" for n in names),
            ";".join(names),
            payload_sha256,
        ]
    )
    scope = f"{day}/{region}/{service}/aws4_request"
    to_sign = "\n".join([ALGORITHM, amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    key = _hmac(_hmac(_hmac(_hmac(f"AWS4{secret_key}".encode(), day), region), service), "aws4_request")
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    return f"{ALGORITHM} Credential={access_key}/{scope}, SignedHeaders={';'.join(names)}, Signature={signature}"


class S3BlobStore(BlobStore):
    """Objects `<bucket>/vouchers/<sha256>` on an S3-compatible endpoint."""

    def __init__(self, *, endpoint: str, bucket: str, region: str, access_key: str, secret_key: str) -> None:
        self.endpoint, self.bucket, self.region = endpoint.rstrip("/"), bucket, region
        self.access_key, self.secret_key = access_key, secret_key

    @classmethod
    def of(cls, settings: Settings) -> S3BlobStore:
        if not (
            settings.disclosure_s3_endpoint and settings.disclosure_s3_access_key and settings.disclosure_s3_secret_key
        ):
            raise Invalid("DISCLOSURE_S3_ENDPOINT needs DISCLOSURE_S3_ACCESS_KEY and DISCLOSURE_S3_SECRET_KEY")
        return cls(
            endpoint=settings.disclosure_s3_endpoint,
            bucket=settings.disclosure_s3_bucket,
            region=settings.disclosure_s3_region,
            access_key=settings.disclosure_s3_access_key,
            secret_key=settings.disclosure_s3_secret_key,
        )

    def url(self, sha256: str) -> str:
        return f"{self.endpoint}/{self.bucket}/vouchers/{check_sha256(sha256)}"

    async def _call(self, method: str, sha256: str, data: bytes = b"", media_type: str | None = None) -> bytes | None:
        url = self.url(sha256)
        payload = hashlib.sha256(data).hexdigest()
        headers = {"x-amz-content-sha256": payload, "x-amz-date": datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")}
        if media_type:
            headers["content-type"] = media_type
        now = datetime.strptime(headers["x-amz-date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        auth = signature_v4(
            method=method,
            url=url,
            headers=headers,
            payload_sha256=payload,
            access_key=self.access_key,
            secret_key=self.secret_key,
            region=self.region,
            now=now,
        )
        try:
            async with (
                aiohttp.ClientSession(timeout=TIMEOUT) as s,
                s.request(method, url, data=data or None, headers={**headers, "Authorization": auth}) as r,
            ):
                body = await r.read()
                if r.status == 404:
                    return None
                if r.status >= 300:
                    raise Upstream(f"the voucher store answered {method} with {r.status}: {body[:200]!r}")
                return body
        except aiohttp.ClientError as exc:
            raise Upstream(f"the voucher store at {self.endpoint} cannot be reached: {exc}") from None

    async def put(self, sha256: str, data: bytes, media_type: str) -> None:
        if hashlib.sha256(data).hexdigest() != sha256:
            raise Invalid("the bytes do not have the SHA-256 they are stored under")
        await self._call("PUT", sha256, data, media_type)

    async def get(self, sha256: str) -> bytes:
        found = await self._call("GET", sha256)
        if found is None:
            raise NotFound(f"no voucher {sha256}")
        return found

    async def exists(self, sha256: str) -> bool:
        return await self._call("HEAD", sha256) is not None
