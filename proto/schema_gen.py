"""Generate the JSON Schema files that sit next to the models (`python -m proto.schema_gen`)."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel

from proto.run import RunRequest, RunStatus
from proto.sample import SampleEnvelope
from proto.seed import SeedEvent

SCHEMA_DIR = Path(__file__).parent / "schemas"
MODELS: dict[str, type[BaseModel]] = {
    "sample_envelope": SampleEnvelope,
    "run_request": RunRequest,
    "run_status": RunStatus,
    "seed_event": SeedEvent,
}


def render_schemas() -> dict[str, str]:
    return {
        f"{name}.schema.json": json.dumps(model.model_json_schema(), indent=2, sort_keys=True)
        + "\n"
        for name, model in MODELS.items()
    }


def write_schemas(directory: Path = SCHEMA_DIR) -> list[Path]:
    directory.mkdir(exist_ok=True)
    written = []
    for filename, text in render_schemas().items():
        path = directory / filename
        path.write_text(text)
        written.append(path)
    return written


if __name__ == "__main__":
    for path in write_schemas():
        print(path)
