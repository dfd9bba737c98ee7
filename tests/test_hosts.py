"""A live path goes to the publisher, never to a mirror: no source may fetch from one."""

import pytest

from extractors import registry

MIRRORS = ("github.com", "githubusercontent.com", "web.archive.org", "archive.org", "archive.ph",
           "archive.today", "gitlab.com", "bitbucket.org", "webcache.googleusercontent.com")


@pytest.mark.parametrize("source_id", sorted(registry.modules()))
def test_no_live_host_is_a_mirror(source_id):
    source = registry.get(source_id).SOURCE
    mirrors = [h for h in source.hosts if any(h == m or h.endswith("." + m) for m in MIRRORS)]
    assert not mirrors, f"{source_id} may fetch from mirrors {mirrors}"
    urls = [*source.landing_urls, *([source.discovery.index_url] if source.discovery else [])]
    assert not [u for u in urls if any(m in u for m in MIRRORS)]


@pytest.mark.parametrize("source_id", sorted(registry.modules()))
def test_every_source_declares_its_discovery(source_id):
    source = registry.get(source_id).SOURCE
    assert source.discovery is not None, f"{source_id} declares no discovery"
    assert source.discovery.index_url.startswith("https://"), source.discovery
