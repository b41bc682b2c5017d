"""Wire contracts of sqlsynth: pydantic models and subject names. No behaviour lives here.

Names are imported from their module on first use (PEP 562): `import proto.common` for an enum
must not load pydantic and every model, which cost `sqlsynth ... --help` a third of a second.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from proto.lazy import lazy_attributes

if TYPE_CHECKING:
    from proto.common import (
        SCHEMA_VERSION,
        Complexity,
        Engine,
        JoinKind,
        Level,
        Outcome,
        Policy,
        PromptStyle,
        SqlFeature,
        Stage,
        TaskType,
    )
    from proto.run import RunRequest, RunStatus
    from proto.sample import (
        Blueprint,
        ConformanceDiff,
        DedupVerdict,
        Draft,
        EngineCheck,
        ErrorClass,
        Feedback,
        HistoryEntry,
        Review,
        SampleEnvelope,
        TableRows,
        TokenCost,
        Validation,
    )
    from proto.seed import SeedEvent

_HOMES: dict[str, str] = {
    "SCHEMA_VERSION": "proto.common",
    "Complexity": "proto.common",
    "Engine": "proto.common",
    "JoinKind": "proto.common",
    "Level": "proto.common",
    "Outcome": "proto.common",
    "Policy": "proto.common",
    "PromptStyle": "proto.common",
    "SqlFeature": "proto.common",
    "Stage": "proto.common",
    "TaskType": "proto.common",
    "RunRequest": "proto.run",
    "RunStatus": "proto.run",
    "Blueprint": "proto.sample",
    "ConformanceDiff": "proto.sample",
    "DedupVerdict": "proto.sample",
    "Draft": "proto.sample",
    "EngineCheck": "proto.sample",
    "ErrorClass": "proto.sample",
    "Feedback": "proto.sample",
    "HistoryEntry": "proto.sample",
    "Review": "proto.sample",
    "SampleEnvelope": "proto.sample",
    "TableRows": "proto.sample",
    "TokenCost": "proto.sample",
    "Validation": "proto.sample",
    "SeedEvent": "proto.seed",
}


__getattr__ = lazy_attributes(__name__, _HOMES)


__all__ = [
    "SCHEMA_VERSION",
    "Blueprint",
    "Complexity",
    "ConformanceDiff",
    "DedupVerdict",
    "Draft",
    "Engine",
    "EngineCheck",
    "ErrorClass",
    "Feedback",
    "HistoryEntry",
    "JoinKind",
    "Level",
    "Outcome",
    "Policy",
    "PromptStyle",
    "Review",
    "RunRequest",
    "RunStatus",
    "SampleEnvelope",
    "SeedEvent",
    "SqlFeature",
    "Stage",
    "TableRows",
    "TaskType",
    "TokenCost",
    "Validation",
]
