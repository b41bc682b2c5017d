"""A local Hugging Face hub that speaks the endpoints `HfApi.create_repo` and `upload_folder`
use (huggingface_hub 1.x, LFS path), so the real SDK runs against it with HF_ENDPOINT set.

Endpoints and the rules they enforce (as the hub documents and the SDK expects them):
- POST /api/repos/create: a write token; 409 when the repo exists (the SDK's exist_ok).
- POST /api/validate-yaml: the README's YAML header parses to a mapping, and each `configs`
  entry names `config_name` and `data_files` (the hub rejects a card otherwise).
- POST /api/{type}s/{repo}/preupload/{rev}: the repo exists; binary files (a NUL byte in the
  sample, or Parquet) go through LFS, text files are committed inline.
- POST /{type}s/{repo}.git/info/lfs/objects/batch: the LFS batch API, basic transfer only.
- PUT /lfs/{oid}: the object's sha256 and size must match what the batch announced.
- POST /lfs/verify: the object was uploaded whole.
- POST /api/{type}s/{repo}/commit/{rev}: NDJSON, a header first; every lfsFile must have been
  uploaded with that oid and size, every inline file must be valid base64.
The Xet transfer protocol is not spoken: tests set HF_HUB_DISABLE_XET=1, and the SDK uses the
LFS path, which the hub still accepts.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import yaml

TOKEN = "hf_fake_write_token"


@dataclass
class FakeRepo:
    files: dict[str, bytes] = field(default_factory=dict)
    commits: list[str] = field(default_factory=list)


@dataclass
class HubState:
    tokens: frozenset[str] = frozenset({TOKEN})
    repos: dict[str, FakeRepo] = field(default_factory=dict)
    announced: dict[str, int] = field(default_factory=dict)
    objects: dict[str, bytes] = field(default_factory=dict)
    requests: list[tuple[str, str, int]] = field(default_factory=list)


class FakeHub:
    def __init__(self) -> None:
        self.state = HubState()
        self.lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> FakeHub:
        handler = type("BoundHubHandler", (HubHandler,), {"hub": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeHub:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class HubHandler(BaseHTTPRequestHandler):
    hub: FakeHub
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # quiet test output
        return

    # -- plumbing --------------------------------------------------------------------------
    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(self, status: int, payload: Any = None, error_code: str | None = None) -> None:
        data = json.dumps(payload if payload is not None else {}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        if error_code:
            self.send_header("X-Error-Code", error_code)
        self.end_headers()
        self.wfile.write(data)
        with self.hub.lock:
            self.hub.state.requests.append((self.command, self.path, status))

    def _error(self, status: int, message: str, code: str | None = None) -> None:
        self._send(status, {"error": message}, code)

    def _authorised(self) -> bool:
        header = self.headers.get("Authorization", "")
        token = header.removeprefix("Bearer ").strip()
        if token not in self.hub.state.tokens:
            self._error(401, "Invalid credentials in Authorization header")
            return False
        return True

    def _repo(self, kind: str, repo_id: str) -> FakeRepo | None:
        repo = self.hub.state.repos.get(f"{kind}:{repo_id}")
        if repo is None:
            self._error(404, "Repository not found", "RepoNotFound")
        return repo

    # -- routes ----------------------------------------------------------------------------
    def do_POST(self) -> None:
        path = self.path.split("?", 1)[0]
        body = self._body()
        if not self._authorised():
            return
        if path == "/api/repos/create":
            self._create_repo(json.loads(body))
        elif path == "/api/validate-yaml":
            self._validate_yaml(json.loads(body))
        elif path.endswith("/info/lfs/objects/batch"):
            self._lfs_batch(json.loads(body))
        elif path == "/lfs/verify":
            self._lfs_verify(json.loads(body))
        elif path.startswith("/api/") and "/preupload/" in path:
            kind, repo_id = _split_repo(path.removeprefix("/api/").split("/preupload/")[0])
            self._preupload(kind, repo_id, json.loads(body))
        elif path.startswith("/api/") and "/commit/" in path:
            kind, repo_id = _split_repo(path.removeprefix("/api/").split("/commit/")[0])
            self._commit(kind, repo_id, body)
        else:
            self._error(404, f"no route {path}")

    def do_PUT(self) -> None:
        path = self.path.split("?", 1)[0]
        body = self._body()
        if not path.startswith("/lfs/"):
            self._error(404, f"no route {path}")
            return
        oid = path.removeprefix("/lfs/")
        with self.hub.lock:
            size = self.hub.state.announced.get(oid)
        if size is None:
            self._error(403, "upload not announced by a batch request")
        elif hashlib.sha256(body).hexdigest() != oid or len(body) != size:
            self._error(400, "content does not match the announced oid and size")
        else:
            with self.hub.lock:
                self.hub.state.objects[oid] = body
            self._send(200)

    def _create_repo(self, payload: dict[str, Any]) -> None:
        name, org = payload.get("name"), payload.get("organization")
        kind = payload.get("type") or "model"
        if not name:
            self._error(400, "name is required")
            return
        repo_id = f"{org}/{name}" if org else name
        key = f"{kind}s:{repo_id}"
        with self.hub.lock:
            exists = key in self.hub.state.repos
            self.hub.state.repos.setdefault(key, FakeRepo())
        url = f"{self.hub.url}/{kind}s/{repo_id}"
        if exists:  # the hub answers 409 with the repo's url (the SDK's exist_ok reads it)
            self._send(409, {"error": "You already created this model repo", "url": url})
            return
        self._send(200, {"url": url, "name": repo_id})

    def _validate_yaml(self, payload: dict[str, Any]) -> None:
        content = str(payload.get("content") or "")
        if not content.startswith("---"):
            self._send(200, {"errors": [], "warnings": []})
            return
        header = content.split("---", 2)[1]
        try:
            data = yaml.safe_load(header)
        except yaml.YAMLError as exc:
            self._error(400, f"invalid YAML: {exc}")
            return
        if not isinstance(data, dict):
            self._error(400, "the YAML header must be a mapping")
            return
        for config in data.get("configs") or []:
            if not isinstance(config, dict) or "config_name" not in config:
                self._error(400, "configs: each entry needs a config_name")
                return
            if "data_files" not in config:
                self._error(400, f"configs.{config['config_name']}: data_files is required")
                return
        self._send(200, {"errors": [], "warnings": []})

    def _preupload(self, kind: str, repo_id: str, payload: dict[str, Any]) -> None:
        if self._repo(kind, repo_id) is None:
            return
        files = []
        for item in payload.get("files") or []:
            sample = base64.b64decode(item["sample"])
            binary = b"\x00" in sample or item["path"].endswith(".parquet")
            files.append(
                {
                    "path": item["path"],
                    "uploadMode": "lfs" if binary else "regular",
                    "shouldIgnore": False,
                    "oid": None,
                }
            )
        self._send(200, {"files": files, "commitOid": "0" * 40})

    def _lfs_batch(self, payload: dict[str, Any]) -> None:
        if payload.get("operation") != "upload" or "basic" not in (payload.get("transfers") or []):
            self._error(400, "only upload with the basic transfer is supported")
            return
        objects = []
        for obj in payload.get("objects") or []:
            oid, size = obj["oid"], int(obj["size"])
            with self.hub.lock:
                self.hub.state.announced[oid] = size
                present = oid in self.hub.state.objects
            entry: dict[str, Any] = {"oid": oid, "size": size}
            if not present:
                entry["actions"] = {
                    "upload": {"href": f"{self.hub.url}/lfs/{oid}", "header": {}},
                    "verify": {"href": f"{self.hub.url}/lfs/verify", "header": {}},
                }
            objects.append(entry)
        self._send(200, {"transfer": "basic", "objects": objects})

    def _lfs_verify(self, payload: dict[str, Any]) -> None:
        with self.hub.lock:
            stored = self.hub.state.objects.get(payload.get("oid", ""))
        if stored is None or len(stored) != payload.get("size"):
            self._error(404, "object not uploaded")
        else:
            self._send(200)

    def _commit(self, kind: str, repo_id: str, body: bytes) -> None:
        repo = self._repo(kind, repo_id)
        if repo is None:
            return
        lines = [json.loads(line) for line in body.splitlines() if line.strip()]
        if not lines or lines[0].get("key") != "header" or not lines[0]["value"].get("summary"):
            self._error(400, "the first NDJSON line must be a header with a summary")
            return
        staged: dict[str, bytes] = {}
        for line in lines[1:]:
            value = line.get("value") or {}
            if line.get("key") == "file":
                try:
                    staged[value["path"]] = base64.b64decode(value["content"], validate=True)
                except (KeyError, ValueError):
                    self._error(400, f"file {value.get('path')}: content is not base64")
                    return
            elif line.get("key") == "lfsFile":
                with self.hub.lock:
                    stored = self.hub.state.objects.get(value.get("oid", ""))
                if stored is None or len(stored) != value.get("size"):
                    self._error(422, f"lfsFile {value.get('path')}: object not uploaded")
                    return
                staged[value["path"]] = stored
            else:
                self._error(400, f"unsupported commit operation {line.get('key')}")
                return
        oid = hashlib.sha1(body).hexdigest()
        with self.hub.lock:
            repo.files.update(staged)
            repo.commits.append(oid)
        self._send(
            200,
            {
                "commitUrl": f"{self.hub.url}/{kind}/{repo_id}/commit/{oid}",
                "commitOid": oid,
                "pullRequestUrl": None,
            },
        )


def _split_repo(text: str) -> tuple[str, str]:
    """`datasets/user/name` → ("datasets", "user/name")."""
    kind, _, repo_id = text.partition("/")
    return kind, repo_id
