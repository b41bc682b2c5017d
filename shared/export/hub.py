"""Push an export folder to the Hugging Face hub, after the privacy check.

`huggingface_hub` does the protocol (repo creation, YAML validation, pre-upload, LFS or Xet
transfer, the commit); HF_ENDPOINT and HF_TOKEN are read by the SDK itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyarrow.parquet as pq

from shared.export.privacy import PrivacyReport, check_records
from shared.export.records import ExportError
from shared.export.splits import SPLITS


@dataclass(frozen=True)
class PushResult:
    repo_id: str
    commit_url: str
    files: int
    privacy: PrivacyReport


def check_export_privacy(out_dir: Path) -> PrivacyReport:
    rows = []
    for split in SPLITS:
        path = out_dir / "data" / f"{split}-00000-of-00001.parquet"
        if path.is_file():
            rows.extend(pq.read_table(path).to_pylist())
    if not rows:
        raise ExportError(f"{out_dir} holds no exported records (run `sqlsynth export` first)")
    return check_records(rows)


def push_export(
    out_dir: Path,
    repo_id: str,
    *,
    token: str | None = None,
    private: bool = False,
    allow_personal: bool = False,
) -> PushResult:
    """Create the dataset repo if needed and upload the folder as one commit."""
    from huggingface_hub import HfApi
    from huggingface_hub.errors import HfHubHTTPError

    privacy = check_export_privacy(out_dir)
    if not privacy.clean and not allow_personal:
        raise ExportError(
            f"not pushed: {privacy.describe()} (--allow-personal-values pushes anyway)"
        )
    api = HfApi(token=token)
    try:
        api.create_repo(repo_id, repo_type="dataset", private=private, exist_ok=True)
        info = api.upload_folder(
            folder_path=out_dir,
            repo_id=repo_id,
            repo_type="dataset",
            commit_message="sqlsynth export",
        )
    except HfHubHTTPError as exc:
        first_line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ExportError(f"push to {repo_id} failed: {first_line}") from exc
    files = sum(1 for p in out_dir.rglob("*") if p.is_file())
    return PushResult(repo_id, str(info.commit_url), files, privacy)
