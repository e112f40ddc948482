"""S3-compatible object storage (AWS S3, MinIO, Ceph...) through boto3.

Credentials come the standard boto3 way (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, an
instance role...), never from the database. Objects are written private, with the
SHA-256 as a checksum S3 verifies on arrival.
"""

from __future__ import annotations

import base64
import hashlib

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from marac.storage.objects import StorageError, Stored, check_key, sha256_of


class S3Store:
    name = "s3"

    def __init__(
        self, *, bucket: str, prefix: str = "", endpoint_url: str | None, region: str
    ) -> None:
        self.bucket = bucket
        self.prefix = f"{prefix}/" if prefix else ""
        self.client = boto3.client("s3", endpoint_url=endpoint_url, region_name=region)

    def _key(self, key: str) -> str:
        return self.prefix + check_key(key)

    def put(self, key: str, data: bytes) -> Stored:
        digest = hashlib.sha256(data).digest()
        try:
            self.client.put_object(
                Bucket=self.bucket,
                Key=self._key(key),
                Body=data,
                ChecksumSHA256=base64.b64encode(digest).decode(),
            )
        except (BotoCoreError, ClientError) as exc:
            raise StorageError(f"could not store {key}: {exc}") from exc
        return Stored(key, len(data), sha256_of(data))

    def read(self, key: str) -> bytes:
        try:
            found = self.client.get_object(Bucket=self.bucket, Key=self._key(key))
            return found["Body"].read()
        except (BotoCoreError, ClientError) as exc:
            raise StorageError(f"could not read {key}: {exc}") from exc

    def delete(self, key: str) -> None:
        try:
            self.client.delete_object(Bucket=self.bucket, Key=self._key(key))
        except (BotoCoreError, ClientError) as exc:
            raise StorageError(f"could not delete {key}: {exc}") from exc
