"""Benchmark: parse a ~30 MB EU FSF consolidated list BUILT from the real recorded entity.

The file is built in a temporary folder from replay/eu-fsf-consolidated's real excerpt (entity 13
repeated with varied logicalIds, programmes and subject types; see tests/eu_fsf_build.py), then
parsed by extractors.eu_fsf.parse in a fresh subprocess so its peak RSS (ru_maxrss) is the parse's own.
Prints a table; exits 1 only if the peak RSS reaches LIMIT_MB.

    .venv/bin/python bench/fsf.py [--mb 30]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
LIMIT_MB = 300


def child(path: str) -> None:
    from extractors import eu_fsf
    from extractors.base import Document

    start_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    content = Path(path).read_bytes()
    loaded_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    parsed = eu_fsf.parse(Document.from_bytes(eu_fsf.SOURCE.id, eu_fsf.FULL_LIST_URL, content))
    seconds = time.perf_counter() - started
    checked = eu_fsf.check([parsed])
    print(json.dumps({
        "bytes": len(content), "entities": len(parsed.designations), "notices": len(parsed.notices),
        "records": len(parsed.records), "seconds": seconds, "check_failed": checked.failed,
        "rss_start_kb": start_rss, "rss_loaded_kb": loaded_rss,
        "rss_peak_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    }))


def main() -> int:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--mb", type=float, default=30.0, help="size of the built file in MB (default 30)")
    args.add_argument("--child", help=argparse.SUPPRESS)
    options = args.parse_args()
    if options.child:
        child(options.child)
        return 0
    from tests import eu_fsf_build

    with tempfile.TemporaryDirectory(prefix="sanctrace-fsf-bench-") as folder:
        path = Path(folder) / "xmlFullSanctionsList_1_1_built.xml"
        built = eu_fsf_build.build_to(path, int(options.mb * 1_000_000))
        out = subprocess.run([sys.executable, __file__, "--child", str(path)], capture_output=True, text=True,
                             check=True)
    result = json.loads(out.stdout)
    assert result["entities"] == built, (result["entities"], built)
    peak_mb = result["rss_peak_kb"] / 1024
    rows = [
        ("input (built from the real entity)", f"{result['bytes'] / 1e6:.1f} MB"),
        ("sanctionEntity parsed", f"{result['entities']:,}"),
        ("regulation notices / figure records", f"{result['notices']} / {result['records']}"),
        ("parse time", f"{result['seconds']:.2f} s"),
        ("entities per second", f"{result['entities'] / result['seconds']:,.0f}"),
        ("RSS at start of the parse process", f"{result['rss_start_kb'] / 1024:.0f} MB"),
        ("RSS after reading the file", f"{result['rss_loaded_kb'] / 1024:.0f} MB"),
        ("peak RSS (ru_maxrss)", f"{peak_mb:.0f} MB (limit {LIMIT_MB} MB)"),
        ("check()", "passed" if not result["check_failed"] else "; ".join(result["check_failed"])),
    ]
    width = max(len(name) for name, _ in rows)
    print(f"{'EU FSF streaming parse':<{width}}  value")
    print(f"{'-' * width}  {'-' * 24}")
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    return 0 if peak_mb < LIMIT_MB else 1


if __name__ == "__main__":
    sys.exit(main())
