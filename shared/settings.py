"""Settings common to every service (env prefix SQLSYNTH_); services extend this class."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SQLSYNTH_", extra="ignore")

    nats_url: str = "nats://127.0.0.1:4222"
    # Where JSON logs go and at what level.
    log_level: str = "INFO"
    # Prometheus /metrics port; 0 picks none (disabled).
    metrics_port: int = 0
    # Liveness (/healthz) and readiness (/readyz) for Kubernetes probes; 0 serves none.
    health_port: int = 0
    # Concurrent handlers per subscriber in one process.
    workers: int = Field(default=8, ge=1)
    # JetStream redelivery: attempts of one message before its sample is rejected, and backoff.
    max_deliver: int = Field(default=6, ge=2)
    ack_wait_s: float = 60.0
    backoff_base_s: float = 0.5
    backoff_max_s: float = 15.0
    # Replica identity for logs.
    instance: str = "local"
