# Parlons behind a reverse proxy, with PostgreSQL as a separate service (see compose.yaml).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY survey ./survey
COPY analysis ./analysis
COPY templates ./templates
COPY fixtures ./fixtures
RUN pip install ".[sortition]" \
    && useradd --system --home /app parlons \
    && mkdir -p /data && chown parlons /data
USER parlons
ENV PARLONS_DATA_DIR=/data PARLONS_SECURE_COOKIES=1
EXPOSE 8000
# Migrations run at start; several workers share the database (sessions are signed cookies,
# jobs are taken with FOR UPDATE SKIP LOCKED).
CMD ["parlons", "serve", "--host", "0.0.0.0", "--port", "8000", "--workers", "2"]
