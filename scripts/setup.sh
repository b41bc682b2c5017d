#!/usr/bin/env bash
# Idempotent setup: system packages (PostgreSQL, MariaDB), a virtualenv, the project and its tools.
# Safe to run on every `make`: each step is skipped when it is already done.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
[ -x /usr/lib/postgresql/15/bin/postgres ] || command -v postgres >/dev/null || need_apt+=(postgresql)
command -v mariadbd >/dev/null || [ -x /usr/sbin/mariadbd ] || need_apt+=(mariadb-server mariadb-client)
# Headless Chromium renders the HTML report in its test.
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
# Prometheus and promtool: the alert-rule unit tests and the end-to-end scrape of a real run.
command -v prometheus >/dev/null && command -v promtool >/dev/null || need_apt+=(prometheus)
# tests/k8s starts the services as their pods would: read-only root, only volumes writable.
command -v bwrap >/dev/null || need_apt+=(bubblewrap)
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: please install: ${need_apt[*]} (needs root)" >&2
    exit 1
  fi
  echo "setup: installing ${need_apt[*]}"
  # policy-rc.d keeps apt from starting the system-wide services: we run private instances.
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
  # In the background: the Python side below needs none of these packages, and on a fresh
  # machine the two installs take minutes each.
  (
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      "${need_apt[@]}" >/dev/null
  ) </dev/null &
  apt_pid=$!
  # A failure below must not leave apt running (nor cut it off mid-install): wait for it.
  trap 'wait "$apt_pid" 2>/dev/null || true' EXIT
fi

PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
stamp=.venv/.sqlsynth-installed
want=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "setup: installing Python dependencies"
  .venv/bin/pip install -q -U pip >/dev/null
  .venv/bin/pip install -q -e '.[dev,distill]'
  echo "$want" > "$stamp"
fi

# The dedup embedder is a model2vec distillation of all-MiniLM-L6-v2 (from its wheel, offline):
# build it once here, not in the first run (it takes a minute or two).
.venv/bin/python -c "from shared.similarity.embedders import distilled_model_dir; distilled_model_dir()"

if [ -n "${apt_pid:-}" ] && ! wait "$apt_pid"; then
  echo "setup: installing ${need_apt[*]} failed" >&2
  exit 1
fi
