"""Content-addressed raw store: every body is kept once under its SHA-256, written atomically.

A folder by default; any fsspec URL (``s3://bucket/prefix``) in production, opened with the options
given (for S3: ``client_kwargs.endpoint_url``, ``key``/``secret``...; else the standard AWS variables such as
``AWS_ENDPOINT_URL`` and ``AWS_ACCESS_KEY_ID`` apply). An error reaching the store names the store.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import fsspec

_SHA = re.compile(r"[0-9a-f]{64}")
_NAME = re.compile(r"[^/.]{2}/[^/]+")  # <first two characters>/<name>; never .tmp/


class SnapshotMissing(KeyError):
    pass


class StoreUnavailable(RuntimeError):
    """The store could not be read or written (object store down, wrong endpoint, no bucket, no access)."""


class SnapshotStore:
    def __init__(self, location: str | Path, options: dict[str, Any] | None = None):
        self.location = str(location)
        self.fs, self.root = fsspec.core.url_to_fs(self.location, **(options or {}))
        self.local = self.fs.protocol in ("file", ("file", "local")) or "file" in self.fs.protocol

    @contextmanager
    def _reaching(self, what: str, passes: tuple[type[BaseException], ...] = (FileNotFoundError,)):
        """Name the store in any failure to reach it: a bare botocore error names only an endpoint.
        A folder's own errors (disk full, permissions) pass as they are."""
        if self.local:
            yield
            return
        try:
            yield
        except (SnapshotMissing, StoreUnavailable, *passes):
            raise
        except Exception as exc:  # noqa: BLE001 (fsspec backends raise their own types: botocore, aiohttp, OSError)
            raise StoreUnavailable(f"snapshot store {self.location} cannot be reached ({what}): "
                                   f"{type(exc).__name__}: {exc}") from exc

    def check(self) -> None:
        """Fail at once, naming the store, when it cannot be reached (before a run fetches anything)."""
        if self.local:
            Path(self.root).mkdir(parents=True, exist_ok=True)
            return
        with self._reaching("listing"):
            try:
                self.fs.ls(self.root, detail=False, refresh=True)
            except FileNotFoundError:
                if not self.fs.exists(self.root.split("/", 1)[0]):  # an empty prefix is fine, no bucket is not
                    raise StoreUnavailable(f"snapshot store {self.location}: bucket not found") from None

    def path(self, sha256: str) -> str:
        if not _SHA.fullmatch(sha256):
            raise ValueError(f"not a SHA-256: {sha256!r}")
        return f"{self.root.rstrip('/')}/{sha256[:2]}/{sha256}"

    def uri(self, sha256: str) -> str:
        path = self.path(sha256)
        return Path(path).as_uri() if self.local else self.fs.unstrip_protocol(path)

    def exists(self, sha256: str) -> bool:
        with self._reaching("looking up a snapshot"):
            return self.fs.exists(self.path(sha256))

    def put(self, content: bytes) -> tuple[str, str]:
        sha = hashlib.sha256(content).hexdigest()
        if not self.exists(sha):
            with self._reaching("writing a snapshot", passes=()):  # on a write, "not found" is a missing bucket
                self._write(self.path(sha), content)
        return sha, self.uri(sha)

    def get(self, sha256: str) -> bytes:
        try:
            with self._reaching("reading a snapshot"):
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

    def names(self) -> list[str]:
        """Every stored name (a path under the store's root, ``ab/abcd...``); leftovers in .tmp/ excluded."""
        if self.local:
            root = Path(self.root)
            return sorted(str(p.relative_to(root)) for p in root.glob("??/*")) if root.exists() else []
        with self._reaching("listing"):
            try:
                found = self.fs.find(self.root)
            except FileNotFoundError:
                return []
        relative = (p.removeprefix(self.root.rstrip("/") + "/") for p in found)
        return sorted(name for name in relative if _NAME.fullmatch(name))

    def verify(self) -> list[str]:
        """Named files whose bytes do not match their name (must be none), on disk or in an object store."""
        bad = []
        for name in self.names():
            path = f"{self.root.rstrip('/')}/{name}"
            with self._reaching("verifying"):
                content = Path(path).read_bytes() if self.local else self.fs.cat_file(path)
            if hashlib.sha256(content).hexdigest() != name.split("/")[-1]:
                bad.append(path if self.local else self.fs.unstrip_protocol(path))
        return bad

    def sweep(self, min_age_seconds: float = 3600) -> int:
        """Remove leftovers of killed writes; young ones may belong to a run still writing."""
        cutoff = time.time() - min_age_seconds
        old = [p for p in map(Path, self.partial_files()) if _modified(p) <= cutoff]
        for path in old:
            path.unlink(missing_ok=True)
        return len(old)


def _modified(path: Path) -> float:
    """A file's modification time; never old for one gone since it was listed: a concurrent run's write
    renamed into place (collect_all's family runs sweep while their siblings write)."""
    try:
        return path.stat().st_mtime
    except FileNotFoundError:
        return float("inf")
