"""Keep settings diverse inside a domain (SENSE: "avoid domains that have been
over-represented in our repository").

The planner fixes the domain; the model picks the concrete setting in the outline. This tally
counts the settings this process has produced per domain and lists the most frequent ones in the
next design prompt as settings to avoid. Alone it is per process; with a store (the generator
service gives it one backed by a NATS KV bucket, services/common/avoid_list.py) every replica
records its settings there and reads the shared counts when a sample starts, so ten replicas do
not each need to produce a favourite setting twice before it is avoided. The store is a hint:
when it fails, the local counts are used and the sample goes on.
"""

from __future__ import annotations

import logging
import re
from collections import Counter, defaultdict
from typing import Protocol

log = logging.getLogger(__name__)


class AvoidStore(Protocol):
    """Setting counts per domain shared by every replica."""

    async def load(self, domain: str) -> dict[str, int]: ...

    async def record(self, domain: str, setting: str) -> None: ...


def normalise_setting(setting: str) -> str:
    """Lower-case, without articles, punctuation and parenthesised asides, first 8 words."""
    text = re.sub(r"\(.*?\)", " ", setting.lower())
    words = [w for w in re.findall(r"[a-z0-9]+", text) if w not in {"a", "an", "the", "of"}]
    return " ".join(words[:8])


class SettingTally:
    def __init__(self, top: int = 8, min_count: int = 2, store: AvoidStore | None = None) -> None:
        self.top, self.min_count = top, min_count
        self.store = store
        self._counts: defaultdict[str, Counter[str]] = defaultdict(Counter)

    async def refresh(self, domain: str) -> None:
        """Take the shared counts of `domain` (they include this replica's own records)."""
        if self.store is None:
            return
        try:
            shared = await self.store.load(domain)
        except Exception as exc:
            log.warning("avoid list unavailable, using local counts: %s", exc)
            return
        merged = Counter(shared)
        merged |= self._counts[domain]  # a record still in flight counts too
        self._counts[domain] = merged

    async def record(self, domain: str, setting: str) -> None:
        key = normalise_setting(setting)
        if not key:
            return
        self._counts[domain][key] += 1
        if self.store is None:
            return
        try:
            await self.store.record(domain, key)
        except Exception as exc:
            log.warning("avoid list not updated: %s", exc)

    def add(self, domain: str, setting: str) -> None:
        key = normalise_setting(setting)
        if key:
            self._counts[domain][key] += 1

    def avoid(self, domain: str) -> list[str]:
        """The settings of `domain` seen at least `min_count` times, most frequent first."""
        return [s for s, n in self._counts[domain].most_common(self.top) if n >= self.min_count]
