"""The raw snapshot store: content-addressed, atomic, verified on read."""

import hashlib
import os

import pytest

from extractors.snapshots import SnapshotMissing, SnapshotStore


def test_put_once_under_the_hash_and_read_back(tmp_path):
    store = SnapshotStore(tmp_path)
    sha, uri = store.put(b"figures")
    assert sha == hashlib.sha256(b"figures").hexdigest()
    assert store.get(sha) == b"figures" and uri.startswith("file://") and uri.endswith(sha)
    assert store.put(b"figures") == (sha, uri)
    assert not store.partial_files() and not store.verify()


def test_a_tampered_file_is_refused(tmp_path):
    store = SnapshotStore(tmp_path)
    sha, _ = store.put(b"figures")
    (tmp_path / sha[:2] / sha).write_bytes(b"changed")
    with pytest.raises(ValueError, match="does not match"):
        store.get(sha)
    assert store.verify()


def test_missing_and_malformed_names(tmp_path):
    store = SnapshotStore(tmp_path)
    with pytest.raises(SnapshotMissing):
        store.get("0" * 64)
    with pytest.raises(ValueError):
        store.get("../../etc/passwd")


def test_sweep_removes_only_old_leftovers(tmp_path):
    store = SnapshotStore(tmp_path)
    store.put(b"x")
    old, young = tmp_path / ".tmp" / "partial-old", tmp_path / ".tmp" / "partial-young"
    old.write_bytes(b"half")
    young.write_bytes(b"half")
    os.utime(old, (0, 0))
    assert store.sweep() == 1 and store.partial_files() == [str(young)]


def test_sweep_passes_over_a_leftover_renamed_into_place_while_it_looked(tmp_path, monkeypatch):
    """collect_all's family runs start side by side: one sweeps while another writes. A partial file it
    listed that the writer then renamed into place is not a failure (seen in bench/run_all.py: a family
    run failed with FileNotFoundError on a sibling's partial file)."""
    store = SnapshotStore(tmp_path)
    store.put(b"x")
    gone = tmp_path / ".tmp" / "partial-written"
    gone.write_bytes(b"whole")
    listed = store.partial_files()
    gone.replace(tmp_path / "renamed")  # the writer's os.replace, after the listing
    monkeypatch.setattr(store, "partial_files", lambda: listed)
    assert store.sweep(min_age_seconds=0) == 0
