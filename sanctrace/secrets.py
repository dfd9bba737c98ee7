"""A source's secrets (SourceInfo.secrets): from the environment, else a Prefect Secret block; never logged."""

from __future__ import annotations

import os

from pydantic import SecretStr

from extractors.base import SecretSpec


def resolve(specs: tuple[SecretSpec, ...]) -> dict[str, SecretStr]:
    found = {}
    for spec in specs:
        value = os.environ.get(spec.env) or _from_block(spec.block)
        if value:
            found[spec.name] = SecretStr(value)
    return found


def _from_block(name: str) -> str | None:
    try:
        from prefect.blocks.system import Secret
        from prefect.exceptions import ObjectNotFound
    except ImportError:  # pragma: no cover (prefect is a dependency)
        return None
    try:
        return Secret.load(name).get()
    except (ValueError, ObjectNotFound):
        return None  # no block saved: the source runs with what needs no secret
    except Exception:  # noqa: BLE001 (no Prefect API reachable, e.g. `sanctrace parse` offline)
        return None
