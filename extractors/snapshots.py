"""Content-addressed raw store: every body is kept once under its SHA-256, written atomically.

A folder by default; any fsspec URL (``s3://bucket/prefix``) in production.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path

import fsspec

_SHA = re.compile(r"[0-9a-f]{64}")


class SnapshotMissing(KeyError):
    pass


class SnapshotStore:
    def __init__(self, location: str | Path):
        self.location = str(location)
        self.fs, self.root = fsspec.core.url_to_fs(self.location)
        self.local = self.fs.protocol in ("file", ("file", "local")) or "file" in self.fs.protocol

    def path(self, sha256: str) -> str:
        if not _SHA.fullmatch(sha256):
            raise ValueError(f"not a SHA-256: {sha256!r}")
        return f"{self.root.rstrip('/')}/{sha256[:2]}/{sha256}"

    def uri(self, sha256: str) -> str:
        path = self.path(sha256)
        return Path(path).as_uri() if self.local else self.fs.unstrip_protocol(path)

    def exists(self, sha256: str) -> bool:
        return self.fs.exists(self.path(sha256))

    def put(self, content: bytes) -> tuple[str, str]:
        sha = hashlib.sha256(content).hexdigest()
        if not self.exists(sha):
            self._write(self.path(sha), content)
        return sha, self.uri(sha)

    def get(self, sha256: str) -> bytes:
        try:
            content = self.fs.cat_file(self.path(sha256))
        except FileNotFoundError:
            raise SnapshotMissing(f"snapshot {sha256} is not in {self.location}") from None
        if hashlib.sha256(content).hexdigest() != sha256:
            raise ValueError(f"snapshot {sha256} in {self.location} does not match its hash")
        return content

    def _write(self, path: str, content: bytes) -> None:
        if not self.local:
            # Object stores make a PUT visible whole or not at all.
            self.fs.pipe_file(path, content)
            return
        folder = Path(path).parent
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".partial-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(content)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, path)  # readers see the whole file or none
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def partial_files(self) -> list[str]:
        """Leftovers of interrupted writes (cleaned by sweep); a complete store has none."""
        if not self.local or not Path(self.root).exists():
            return []
        return [str(p) for p in Path(self.root).rglob(".partial-*")]

    def sweep(self) -> int:
        leftovers = self.partial_files()
        for path in leftovers:
            Path(path).unlink(missing_ok=True)
        return len(leftovers)
