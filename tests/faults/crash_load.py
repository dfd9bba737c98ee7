"""Child process for the kill tests: store one large generated document, then load its figures.

    python -m tests.faults.crash_load WAREHOUSE_URL STORE GENERATION ROWS

Generation g holds ROWS figures shaped like UNHCR's (refugees per host country and day); every
tenth value changes with each generation, so loading g over g-1 revises ROWS/10 figures. Prints
"ready" once everything is in memory (the parent kills after that) and "done" after the commit.
"""

from __future__ import annotations

import hashlib
import sys
from datetime import date, datetime, timezone

import numpy as np
import pandas as pd
import pycountry

SOURCE_ID = "unhcr-ukraine-refugees"
URL = "https://data.unhcr.org/population/get/timeseries?generated=kill-test"
GEOS = sorted(c.alpha_3 for c in pycountry.countries)[:50]
INDICATORS = ("refugees_from_ukraine_recorded", "refugees_recorded_female", "refugees_recorded_male",
              "refugees_recorded_children", "refugees_recorded_elderly")


def frame(generation: int, rows: int) -> pd.DataFrame:
    from warehouse.loader import STAGE_COLS

    i = np.arange(rows)
    per_day = len(GEOS) * len(INDICATORS)
    days = pd.to_datetime(date(2022, 2, 24)) + pd.to_timedelta(i // per_day, unit="D")
    value = (i * 7919) % 1_000_003 + np.where(i % 10 == 0, generation, 0)
    data = {
        "indicator": [INDICATORS[k] for k in (i // len(GEOS)) % len(INDICATORS)],
        "geo": [GEOS[k] for k in i % len(GEOS)], "partner": "UKR", "commodity": "", "flow": "",
        "unit": "persons", "period_start": days.date, "period_end": days.date, "value": value.astype(float),
        "is_count": True, "method": "published", "locator": [f"json:/data/{k}/individuals" for k in i],
        "raw": value.astype(str), "published_unit": "persons", "cites_url": None, "vintage": None,
        "flags": "", "snapshot_sha256": None,
    }
    return pd.DataFrame(data, columns=list(STAGE_COLS))


def expected(generations: int, rows: int) -> dict[str, float]:
    """The warehouse after generations 1..g loaded in order: what a clean run leaves."""
    revised = len(range(0, rows, 10))
    base = float(sum((k * 7919) % 1_000_003 for k in range(rows)))
    return {"versions": rows + (generations - 1) * revised, "current": rows,
            "superseded": (generations - 1) * revised, "current_sum": base + generations * revised}


def main(url: str, store_path: str, generation: int, rows: int) -> None:
    from extractors.snapshots import SnapshotStore
    from sanctrace import pipeline
    from sanctrace.settings import Settings
    from warehouse import records as wh
    from warehouse.loader import LoadContext, load_observations

    rt = pipeline.runtime(Settings(warehouse_url=url, snapshot_store=store_path))
    batch = frame(generation, rows)
    document = batch.to_csv(index=False).encode()
    sha = hashlib.sha256(document).hexdigest()
    batch["snapshot_sha256"] = sha
    print("ready", flush=True)
    store = SnapshotStore(store_path)
    _, uri = store.put(document)
    now = datetime.now(timezone.utc)
    wh.record_fetch(rt.engine, {"source_id": SOURCE_ID, "url": URL, "fetched_at": now, "http_status": 200,
                                "sha256": sha, "not_modified": False, "mode": "live"},
                    {"sha256": sha, "source_id": SOURCE_ID, "url": URL, "query": "generated=kill-test",
                     "fetched_at": now, "http_status": 200, "content_type": "text/csv", "headers": {},
                     "size_bytes": len(document), "storage_uri": uri})
    load_observations(rt.engine, batch, LoadContext(SOURCE_ID, "kill-test", f"generation-{generation}"))
    print("done", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
