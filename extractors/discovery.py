"""What a source's index listed, and which of those documents a run fetches.

A source's ``fetch`` reads its index, turns it into ``Candidate``s and hands them to
``fetch_candidates``: only candidates whose (key, version) the warehouse does not hold yet are
fetched. The log travels with the run (as a dict between tasks); the warehouse marks a candidate
known only when its documents were loaded, so a failed load is retried by the next run. A replay
remembers the candidates its archive holds no copy of as listed (the recording run did not fetch
them): a later replay does not report them as new again, a live run still fetches them. A source may
ask for known candidates again (``again``: e.g. IOM's ``rounds`` parameter).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Collection, Iterable, Iterator, Mapping

from extractors.base import Candidate, Document, FetchError, FetchOptions, SourceClient


@dataclass
class DiscoveryLog:
    known: Mapping[str, str] = field(default_factory=dict)  # key -> version the warehouse holds
    force: bool = False
    discovered: list[Candidate] = field(default_factory=list)
    new: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # known, same version: not fetched
    again: list[str] = field(default_factory=list)  # known, same version, fetched again on request
    no_copy: list[str] = field(default_factory=list)  # replay: nothing recorded for it
    # Replay: the candidates with no recorded copy. The recording run did not fetch them, so the
    # warehouse remembers them as listed (sha256 NULL) and a later replay does not report them again
    # as new; a live run never counts them as known (warehouse/records.py known_candidates).
    unrecorded: list[Candidate] = field(default_factory=list)
    fetched: list[tuple[Candidate, str]] = field(default_factory=list)  # (candidate, sha256)

    def select(self, candidates: Iterable[Candidate], again: Collection[str] = ()) -> list[Candidate]:
        """Record every candidate; return the new and changed ones (all of them when forced), and the
        known ones whose key is in ``again`` (a source's backfill request)."""
        chosen = []
        for c in candidates:
            self.discovered.append(c)
            if c.key not in self.known:
                self.new.append(c.key)
            elif self.known[c.key] != c.version:
                self.changed.append(c.key)
            elif c.key in again:
                self.again.append(c.key)
            elif not self.force:
                self.skipped.append(c.key)
                continue
            chosen.append(c)
        return chosen

    def counts(self) -> dict[str, int]:
        return {"discovered": len(self.discovered), "new": len(self.new), "changed": len(self.changed),
                "known": len(self.skipped), "no_copy": len(self.no_copy)}

    def as_dict(self) -> dict[str, Any]:
        return {**self.counts(), "no_copy_keys": list(self.no_copy), "again_keys": list(self.again),
                "fetched": [{**c.as_dict(), "sha256": sha} for c, sha in self.fetched],
                "unrecorded": [{**c.as_dict(), "sha256": None} for c in self.unrecorded]}


def get_or_report(client: SourceClient, options: FetchOptions, url: str, what: str,
                  **request: Any) -> Document | None:
    """One request. A failure goes to ``options.failures`` as ``what: url: cause`` and gives None, so
    the source's other documents still load (the run reports it and fails; see sanctrace/pipeline)."""
    try:
        return client.get(url, **request)
    except FetchError as exc:
        options.failures.append(f"{what}: {url}: {exc.cause}")
        return None


def fetch_named(client: SourceClient, options: FetchOptions, urls: Iterable[str], what: str) -> Iterator[Document]:
    """GET each URL a user named in the source's parameters, once each and in order. As with
    candidates, one that fails is reported (``what`` says which kind of document it is) and the
    others still load."""
    for url in dict.fromkeys(urls):
        doc = get_or_report(client, options, url, what)
        if doc is not None:
            yield doc


def fetch_candidates(client: SourceClient, options: FetchOptions, candidates: Iterable[Candidate],
                     url: Callable[[Candidate], str] = lambda c: c.url,
                     again: Collection[str] = ()) -> Iterator[Document]:
    """GET each new or changed candidate (and the known ones keyed in ``again``). One that fails goes
    to ``options.failures`` and the others still load; in replay, one with no recorded copy is
    reported as such, never as empty."""
    log = options.discovery
    for c in log.select(candidates, again):
        target = url(c)
        if not client.has(target):
            log.no_copy.append(c.key)
            log.unrecorded.append(c)
            continue
        doc = get_or_report(client, options, target, c.title or c.key)
        if doc is not None:
            log.fetched.append((c, doc.sha256))
            yield doc
