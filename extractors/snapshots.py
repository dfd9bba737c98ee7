"""Content-addressed raw store: every body is kept once under its SHA-256, written atomically.

A folder by default; any fsspec URL (``s3://bucket/prefix``) in production.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import time
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
        self._tmp.mkdir(parents=True, exist_ok=True)
        # Written beside the store's named files, never among them: a kill leaves at most a file in
        # .tmp/ (swept on the next run), never a partial file under a hash name.
        fd, tmp = tempfile.mkstemp(dir=self._tmp, prefix="partial-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(content)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, path)  # readers see the whole file or none
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    @property
    def _tmp(self) -> Path:
        return Path(self.root) / ".tmp"

    def partial_files(self) -> list[str]:
        """Leftovers of interrupted writes (cleaned by sweep); a complete store has none."""
        if not self.local or not self._tmp.exists():
            return []
        return [str(p) for p in self._tmp.iterdir()]

    def verify(self) -> list[str]:
        """Named files whose bytes do not match their name (must be none)."""
        if not self.local or not Path(self.root).exists():
            return []
        bad = []
        for path in Path(self.root).glob("??/*"):
            if hashlib.sha256(path.read_bytes()).hexdigest() != path.name:
                bad.append(str(path))
        return bad

    def sweep(self, min_age_seconds: float = 3600) -> int:
        """Remove leftovers of killed writes; young ones may belong to a run still writing."""
        cutoff = time.time() - min_age_seconds
        old = [p for p in map(Path, self.partial_files()) if p.stat().st_mtime <= cutoff]
        for path in old:
            path.unlink(missing_ok=True)
        return len(old)
