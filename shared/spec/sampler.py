"""Drawing blueprints from a spec, reproducibly.

Sample i of a run with seed s is always `draw_at(i)`: its random stream comes from
SeedSequence([s, i]) alone, so the planner can redraw, replace or resume any sample in any
order and get the same blueprint.
"""

from __future__ import annotations

import numpy as np

from proto.sample import Blueprint
from shared.errors import SqlsynthError
from shared.spec.model import Spec, Value
from shared.spec.rules import build_blueprint, list_violations

# With the minimum accepted rate validation allows (1%), 1000 tries fail with p ~ 4e-5.
MAX_TRIES = 1000


class SamplingError(SqlsynthError):
    """No draw satisfied the constraints within the allowed number of tries."""


class BlueprintSampler:
    """One blueprint per sample, with constraints enforced by bounded rejection sampling."""

    def __init__(self, spec: Spec, seed: int = 0, *, max_tries: int = MAX_TRIES) -> None:
        if seed < 0:
            raise ValueError(f"seed must be >= 0, not {seed}")
        if max_tries < 1:
            raise ValueError(f"max_tries must be >= 1, not {max_tries}")
        self.spec = spec
        self.seed = seed
        self.max_tries = max_tries
        self.position = 0

    def draw_values(self, index: int) -> dict[str, Value]:
        """The accepted property values of sample `index` (the same for the same seed)."""
        if index < 0:
            raise ValueError(f"index must be >= 0, not {index}")
        rng = np.random.default_rng([self.seed, index])
        broken: list[str] = []
        for _ in range(self.max_tries):
            values = self.spec.sample_values(rng)
            broken = list_violations(self.spec, values)
            if not broken:
                return values
        raise SamplingError(
            f"sample {index}: no draw in {self.max_tries} satisfied the constraints "
            f"(the last broke {', '.join(broken)})"
        )

    def draw_at(self, index: int) -> Blueprint:
        return build_blueprint(self.draw_values(index))

    def draw(self) -> Blueprint:
        """The next blueprint in sequence (sample `position`, then position advances)."""
        blueprint = self.draw_at(self.position)
        self.position += 1
        return blueprint

    def draw_many(self, count: int) -> list[Blueprint]:
        return [self.draw() for _ in range(count)]
