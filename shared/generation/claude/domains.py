"""Keep settings diverse inside a domain (SENSE: "avoid domains that have been
over-represented in our repository").

The planner fixes the domain; the model picks the concrete setting in the outline. This tally
counts the settings this process has produced per domain and lists the most frequent ones in the
next outline prompt as settings to avoid. It is per process (each generator replica keeps its
own), which is enough to break the model's habit of returning the same favourite setting.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict


def normalise_setting(setting: str) -> str:
    """Lower-case, without articles, punctuation and parenthesised asides, first 8 words."""
    text = re.sub(r"\(.*?\)", " ", setting.lower())
    words = [w for w in re.findall(r"[a-z0-9]+", text) if w not in {"a", "an", "the", "of"}]
    return " ".join(words[:8])


class SettingTally:
    def __init__(self, top: int = 8, min_count: int = 2) -> None:
        self.top, self.min_count = top, min_count
        self._counts: defaultdict[str, Counter[str]] = defaultdict(Counter)

    def add(self, domain: str, setting: str) -> None:
        key = normalise_setting(setting)
        if key:
            self._counts[domain][key] += 1

    def avoid(self, domain: str) -> list[str]:
        """The settings of `domain` seen at least `min_count` times, most frequent first."""
        return [s for s, n in self._counts[domain].most_common(self.top) if n >= self.min_count]
