"""Spec documents as editable YAML: block style for structure, one line per leaf distribution."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

WIDTH = 100


class _Dumper(yaml.SafeDumper):
    """Keeps the document's key order and never writes aliases (&id001) for repeated leaves."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def dump_spec_yaml(document: dict[str, Any], header: Sequence[str] = ()) -> str:
    """The YAML text of a spec document, led by `header` as comment lines."""
    body = yaml.dump(
        document,
        Dumper=_Dumper,
        sort_keys=False,
        default_flow_style=None,
        allow_unicode=True,
        width=WIDTH,
    )
    comments = "".join(f"# {line}".rstrip() + "\n" for line in header)
    return comments + body


def write_spec_yaml(path: Path, document: dict[str, Any], header: Sequence[str] = ()) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dump_spec_yaml(document, header), encoding="utf-8")
