"""The Management Agent's rule (SQL-Factory §4.1.1), written down instead of an LLM's judgement.

State S ∈ {EXPLORE, EXPAND}. The system starts exploring (new structures from the generator);
after `explore_cycles` exploring cycles it expands (value variants of accepted samples, no model
call). While expanding, the Critical Agent's evaluation of the last cycle decides: when
redundancy rises (the share of accepted variants whose structural pattern already has
`pattern_cap` samples in the pool reaches `max_redundancy`) or executability falls (the
pipeline's pass rate drops below `min_pass_rate`), control goes back to exploration.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Mode(StrEnum):
    EXPLORE = "explore"  # the Generation Team: new structures (template engine or Claude)
    EXPAND = "expand"  # the Expansion Team: the same structure with other values


@dataclass(frozen=True)
class ManageConfig:
    explore_cycles: int = 2
    pattern_cap: int = 3
    max_redundancy: float = 0.5
    min_pass_rate: float = 0.7


@dataclass(frozen=True)
class CycleEvaluation:
    """What the Critical Agent reports for one cycle (E_t of Eq. 1)."""

    mode: Mode
    drafted: int
    accepted: int
    # Accepted samples whose structural pattern had `pattern_cap` or more samples before.
    redundant: int

    @property
    def pass_rate(self) -> float:
        return self.accepted / self.drafted if self.drafted else 0.0

    @property
    def redundancy(self) -> float:
        return self.redundant / self.accepted if self.accepted else 1.0


def next_mode(history: list[CycleEvaluation], config: ManageConfig) -> Mode:
    """S_{t+1} from the evaluations so far (Eq. 1)."""
    if not history:
        return Mode.EXPLORE
    last = history[-1]
    if last.mode is Mode.EXPLORE:
        streak = 0
        for evaluation in reversed(history):
            if evaluation.mode is not Mode.EXPLORE:
                break
            streak += 1
        return Mode.EXPAND if streak >= config.explore_cycles else Mode.EXPLORE
    if last.redundancy >= config.max_redundancy or last.pass_rate < config.min_pass_rate:
        return Mode.EXPLORE
    return Mode.EXPAND
