# MOC Catalog: the API, the sync worker and every moc-catalog command, in one image.
# Build: docker build -t moc-catalog .   Run the whole system: see docker-compose.yml and docs/deploy.md.

# --- build: install the package and its runtime dependencies (no dev extras) into a venv ---
FROM python:3.11.13-slim-bookworm AS build

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
COPY pyproject.toml README.md ./
COPY api ./api
COPY catalog ./catalog
COPY indexer ./indexer
COPY web ./web
RUN pip install .

# --- runtime: the venv only, no sources or build tools, run as a non-root user ---
FROM python:3.11.13-slim-bookworm

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    MOC_DATA_DIR=/data

RUN groupadd --system --gid 10001 moc \
    && useradd --system --uid 10001 --gid moc --home-dir /data --no-create-home moc \
    && mkdir /data \
    && chown moc:moc /data
COPY --from=build /opt/venv /opt/venv

USER moc
WORKDIR /data
# SQLite catalog, tantivy index, sync lock and generated secret when no MOC_SECRET_KEY is set.
VOLUME ["/data"]
EXPOSE 8000

# slim has no curl: ask /healthz with the standard library (urlopen raises on non-2xx).
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]

CMD ["moc-catalog", "serve", "--host", "0.0.0.0", "--port", "8000"]
