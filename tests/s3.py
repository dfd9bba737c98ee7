"""A real S3 API on 127.0.0.1 for tests: moto in server mode, started and stopped by the test.

s3fs reaches it through the standard AWS variables (AWS_ENDPOINT_URL and test credentials), exactly as a
worker would reach AWS, MinIO or any S3-compatible store. Buckets are versioned, so a test can count how
many times each object was written.
"""

from __future__ import annotations

import json
import logging
import socket
import uuid
from collections import Counter
from contextlib import contextmanager

import pytest


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class MotoS3:
    def __init__(self):
        from moto.server import ThreadedMotoServer

        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise
        self.port = free_port()
        self.server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        """What a process needs to reach this S3 API: the standard AWS variables, nothing sanctrace-specific."""
        return {"AWS_ENDPOINT_URL": self.endpoint, "AWS_ACCESS_KEY_ID": "sanctrace-test",
                "AWS_SECRET_ACCESS_KEY": "sanctrace-test-secret", "AWS_DEFAULT_REGION": "us-east-1",
                "AWS_EC2_METADATA_DISABLED": "true"}  # never ask an instance metadata service

    def client(self):
        import boto3

        env = self.env()
        return boto3.client("s3", endpoint_url=self.endpoint, region_name=env["AWS_DEFAULT_REGION"],
                            aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
                            aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"])

    def bucket(self, prefix: str = "snapshots") -> str:
        """A new versioned bucket; returns the store URL ``s3://<bucket>/<prefix>``."""
        name = f"sanctrace-{uuid.uuid4().hex[:12]}"
        s3 = self.client()
        s3.create_bucket(Bucket=name)
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
        return f"s3://{name}/{prefix}"

    def versions(self, store_url: str) -> Counter:
        """Key -> how many times it was written (object versions) under the store's prefix."""
        bucket, _, prefix = store_url.removeprefix("s3://").partition("/")
        pages = self.client().get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix=prefix + "/")
        return Counter(v["Key"] for page in pages for v in page.get("Versions", []))

    def etags(self, store_url: str) -> dict[str, set[str]]:
        """Key -> the ETags (MD5 of the bytes) of all its versions: one per key, if no name ever held two bodies."""
        bucket, _, prefix = store_url.removeprefix("s3://").partition("/")
        pages = self.client().get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix=prefix + "/")
        found: dict[str, set[str]] = {}
        for page in pages:
            for version in page.get("Versions", []):
                found.setdefault(version["Key"], set()).add(version["ETag"])
        return found

    def start(self) -> MotoS3:
        self.server.start()
        return self

    def stop(self) -> None:
        self.server.stop()


def unreachable_options() -> str:
    """SANCTRACE_SNAPSHOT_STORE_OPTIONS for an S3 endpoint where nothing listens (one attempt, short timeout)."""
    return json.dumps({"client_kwargs": {"endpoint_url": f"http://127.0.0.1:{free_port()}"},
                       "config_kwargs": {"connect_timeout": 2, "retries": {"max_attempts": 1}}})


@contextmanager
def aws_environment(s3: MotoS3):
    """The AWS variables in this process too (for SnapshotStore objects the test itself opens)."""
    with pytest.MonkeyPatch.context() as patch:
        for key, value in s3.env().items():
            patch.setenv(key, value)
        yield


@pytest.fixture(scope="module")
def moto_s3():
    import s3fs

    s3 = MotoS3().start()
    s3fs.S3FileSystem.clear_instance_cache()  # fsspec caches filesystems by their options, not the endpoint
    try:
        with aws_environment(s3):
            yield s3
    finally:
        s3fs.S3FileSystem.clear_instance_cache()
        s3.stop()
