"""The S3-compatible voucher store signs with AWS Signature Version 4 (the documented example of AWS's S3 API)."""

from __future__ import annotations

from datetime import UTC, datetime

from core.disclosure.s3 import signature_v4

EMPTY = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def test_the_get_object_example_of_the_s3_documentation() -> None:
    auth = signature_v4(
        method="GET",
        url="https://examplebucket.s3.amazonaws.com/test.txt",
        headers={"range": "bytes=0-9", "x-amz-content-sha256": EMPTY, "x-amz-date": "20130524T000000Z"},
        payload_sha256=EMPTY,
        access_key="AKIAIOSFODNN7EXAMPLE",
        secret_key="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        region="us-east-1",
        now=datetime(2013, 5, 24, tzinfo=UTC),
    )
    assert auth.endswith("Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
    assert "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date" in auth
