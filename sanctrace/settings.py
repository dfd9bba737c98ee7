"""Runtime settings, read from environment variables prefixed ``SANCTRACE_``."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SANCTRACE_", extra="ignore")

    warehouse_url: str = Field(
        default=f"sqlite:///{PROJECT_ROOT / 'data' / 'warehouse.db'}",
        description="SQLAlchemy URL of the warehouse (SQLite file or PostgreSQL).",
    )
    snapshot_store: str = Field(
        default=str(PROJECT_ROOT / "data" / "snapshots"),
        description="Folder or fsspec URL (s3://...) where raw documents are kept by SHA-256.",
    )
    snapshot_store_options: dict[str, Any] = Field(
        default_factory=dict,
        description='fsspec options for the store, as JSON: for S3 e.g. {"client_kwargs": {"endpoint_url": '
                    '"http://minio:9000"}}; without it s3fs reads the standard AWS variables '
                    "(AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_DEFAULT_REGION).",
    )
    fetch_mode: Literal["live", "replay"] = "replay"
    replay_archive: Path = Field(
        default=PROJECT_ROOT / "replay",
        description="Folder of recorded documents with a manifest.json mapping requests to files.",
    )
    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    user_agent: str = "sanctrace/0.1 (+https://github.com/sanctrace/sanctrace; research data collector)"
    min_host_interval: float = Field(
        default=1.0, description="Minimum seconds between two requests to the same host."
    )
    max_response_bytes: int = Field(default=200 * 1024 * 1024, description="Byte cap per response.")
    retry_total: int = 4
    retry_backoff: float = 1.0
    retry_max_wait: float = Field(default=120.0, description="Longest Retry-After we wait for.")
    host_map: dict[str, str] = Field(
        default_factory=dict,
        description='Send requests for a host elsewhere, e.g. {"data.unhcr.org": "127.0.0.1:8123"} (tests, mirrors); '
                    "the source allowlist is still checked against the original host.",
    )
    private_hosts_allowed: list[str] = Field(
        default_factory=list, description="Private/loopback hosts a request may reach (a local test server)."
    )
    comtrade_key: SecretStr | None = Field(
        default=None, description="UN Comtrade subscription key (never logged or stored)."
    )
    watch_hs_codes: list[str] = Field(
        default_factory=lambda: ["8542", "8806"],
        description="HS codes the trade sources request (integrated circuits, unmanned aircraft); "
                    "a trade run's hs_codes parameter replaces them.",
    )
    watch_reporters: list[str] = Field(
        default_factory=lambda: ["KAZ", "KGZ", "ARM", "GEO", "UZB", "TUR", "ARE", "CHN"],
        description="Reporters (ISO alpha-3) whose trade with the partners is watched for transit to Russia.",
    )
    watch_partners: list[str] = Field(
        default_factory=lambda: ["RUS", "WLD"],
        description="Partners (ISO alpha-3; WLD for the world total) of the watched reporters.",
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


def reset_settings() -> None:
    """Forget cached settings (tests change the environment)."""
    get_settings.cache_clear()
