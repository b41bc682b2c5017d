"""The avoid-settings list shared by every generator replica: per domain, the count of each
concrete setting generated, in a NATS KV bucket (one key per domain, a JSON object of counts),
incremented with compare-and-set (update with the last revision) like the spend counter, so two
replicas recording at once both count. Read when a sample starts (SettingTally.refresh)."""

from __future__ import annotations

import hashlib
import json
import re

from faststream.nats import NatsBroker
from nats.js.errors import KeyNotFoundError, KeyWrongLastSequenceError

from proto import subjects
from services.common.broker import LazyBucket

CAS_ATTEMPTS = 50
# Kept per domain: the most frequent settings (the prompt lists at most 8 of them).
MAX_SETTINGS = 64


def domain_key(domain: str) -> str:
    """A valid KV key for a domain name (keys allow [-_=.a-zA-Z0-9]); a hash keeps two names
    that clean to the same text apart."""
    clean = re.sub(r"[^a-zA-Z0-9_-]+", "_", domain)[:60] or "domain"
    return f"{clean}.{hashlib.blake2b(domain.encode(), digest_size=4).hexdigest()}"


class KvAvoidStore:
    def __init__(self, broker: NatsBroker) -> None:
        self.bucket = LazyBucket(broker, subjects.AVOID_SETTINGS_BUCKET)

    async def load(self, domain: str) -> dict[str, int]:
        kv = await self.bucket.get()
        try:
            entry = await kv.get(domain_key(domain))
        except KeyNotFoundError:
            return {}
        return _decode(entry.value)

    async def record(self, domain: str, setting: str) -> None:
        kv = await self.bucket.get()
        key = domain_key(domain)
        for _ in range(CAS_ATTEMPTS):
            try:
                entry = await kv.get(key)
            except KeyNotFoundError:
                try:
                    await kv.create(key, _encode({setting: 1}))
                    return
                except KeyWrongLastSequenceError:
                    continue  # another replica created it first
            counts = _decode(entry.value)
            counts[setting] = counts.get(setting, 0) + 1
            try:
                await kv.update(key, _encode(counts), last=entry.revision)
                return
            except KeyWrongLastSequenceError:
                continue  # another replica recorded in between: read again
        raise RuntimeError(f"avoid list for {domain}: {CAS_ATTEMPTS} conflicting updates")


def _encode(counts: dict[str, int]) -> bytes:
    kept = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:MAX_SETTINGS]
    return json.dumps(dict(kept), sort_keys=True).encode()


def _decode(raw: bytes | None) -> dict[str, int]:
    data = json.loads(raw or b"{}")
    return {str(k): int(v) for k, v in data.items()}
