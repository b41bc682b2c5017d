# The one image every service runs (`python -m services.<name>`).
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY proto proto
COPY shared shared
COPY services services
RUN pip install --no-cache-dir .
USER 1000
