# Parlons behind a reverse proxy, with PostgreSQL as a separate service (see compose.yaml).
# tests/test_wheel.py repeats these steps without Docker: the same build, a fresh virtualenv,
# the wheel installed, the server run from an empty folder and this HEALTHCHECK's command.

# Stage 1: build the sdist, then the wheel from it (what `python -m build` does in CI).
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1
RUN pip install "build>=1.2"
WORKDIR /src
COPY pyproject.toml README.md ./
COPY survey ./survey
COPY analysis ./analysis
COPY templates ./templates
COPY fixtures ./fixtures
RUN python -m build --outdir /dist .

# Stage 2: only the installed wheel, no source tree, run by a user without privileges.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
COPY --from=build /dist/*.whl /tmp/dist/
RUN pip install "$(ls /tmp/dist/parlons-*.whl)[sortition]" \
    && rm -r /tmp/dist \
    && useradd --system --create-home --home-dir /home/parlons parlons \
    && mkdir -p /data && chown parlons /data
USER parlons
WORKDIR /home/parlons
ENV PARLONS_DATA_DIR=/data PARLONS_SECURE_COOKIES=1
EXPOSE 8000
# 200 while the database answers, 503 otherwise (urlopen raises on 503: exit status 1).
HEALTHCHECK --interval=30s --timeout=5s --start-period=120s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]
# Migrations run at start; several workers share the database (sessions are signed cookies,
# jobs are taken with FOR UPDATE SKIP LOCKED).
CMD ["parlons", "serve", "--host", "0.0.0.0", "--port", "8000", "--workers", "2"]
