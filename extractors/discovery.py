"""What a source's index listed, and which of those documents a run fetches.

A source's ``fetch`` reads its index, turns it into ``Candidate``s and hands them to
``fetch_candidates``: only candidates whose (key, version) the warehouse does not hold yet are
fetched. The log travels with the run (as a dict between tasks); the warehouse marks a candidate
known only when its documents were loaded, so a failed load is retried by the next run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator, Mapping

from extractors.base import Candidate, Document, FetchError, FetchOptions, SourceClient


@dataclass
class DiscoveryLog:
    known: Mapping[str, str] = field(default_factory=dict)  # key -> version the warehouse holds
    force: bool = False
    discovered: list[Candidate] = field(default_factory=list)
    new: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # known, same version: not fetched
    no_copy: list[str] = field(default_factory=list)  # replay: nothing recorded for it
    fetched: list[tuple[Candidate, str]] = field(default_factory=list)  # (candidate, sha256)

    def select(self, candidates: Iterable[Candidate]) -> list[Candidate]:
        """Record every candidate; return the new and changed ones (all of them when forced)."""
        chosen = []
        for c in candidates:
            self.discovered.append(c)
            if c.key not in self.known:
                self.new.append(c.key)
            elif self.known[c.key] != c.version:
                self.changed.append(c.key)
            elif not self.force:
                self.skipped.append(c.key)
                continue
            chosen.append(c)
        return chosen

    def counts(self) -> dict[str, int]:
        return {"discovered": len(self.discovered), "new": len(self.new), "changed": len(self.changed),
                "known": len(self.skipped), "no_copy": len(self.no_copy)}

    def as_dict(self) -> dict[str, Any]:
        return {**self.counts(), "no_copy_keys": list(self.no_copy),
                "fetched": [{**c.as_dict(), "sha256": sha} for c, sha in self.fetched]}


def fetch_candidates(client: SourceClient, options: FetchOptions, candidates: Iterable[Candidate],
                     url: Callable[[Candidate], str] = lambda c: c.url) -> Iterator[Document]:
    """GET each new or changed candidate. One that fails goes to ``options.failures`` and the others
    still load; in replay, one with no recorded copy is reported as such, never as empty."""
    log = options.discovery
    for c in log.select(candidates):
        target = url(c)
        if not client.has(target):
            log.no_copy.append(c.key)
            continue
        try:
            doc = client.get(target)
        except FetchError as exc:
            options.failures.append(f"{c.title or c.key}: {target}: {exc.cause}")
            continue
        log.fetched.append((c, doc.sha256))
        yield doc
