# syntax=docker/dockerfile:1
# Production image: build wheels in one stage, install them into a slim runtime that runs as a non-root user.

FROM python:3.11-slim AS build
# A C compiler (and Python's headers where the base image lacks them) for mypyc, which compiles the extraction
# library in this stage only: the runtime stage gets the built modules, not the tools.
RUN apt-get update \
    && apt-get install -y --no-install-recommends gcc libc6-dev \
    && (python3 -c "import sys, sysconfig, os; sys.exit(not os.path.exists(sysconfig.get_paths()['include'] + '/Python.h'))" \
        || apt-get install -y --no-install-recommends python3-dev) \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY pyproject.toml README.md ./
COPY app ./app
COPY migrations ./migrations
# Wheels for the service and every dependency, so the runtime stage installs offline and carries no build tools.
# The service's own wheel is the production build: its extraction stages compiled by mypyc (see pyproject.toml).
ENV HATCH_BUILD_HOOK_ENABLE_MYPYC=1
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
ARG VERSION=0.1.0
LABEL org.opencontainers.image.title="defections-api" \
      org.opencontainers.image.description="REST API serving structured, sourced records of defection incidents" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.source="https://github.com/defections-api/defections-api"

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DATABASE_URL=sqlite:////data/incidents.db \
    HOST=0.0.0.0 \
    PORT=8000 \
    WORKERS=2 \
    PROXY_HEADERS=true \
    FORWARDED_ALLOW_IPS=127.0.0.1

COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir --no-index --find-links=/wheels defections-api \
    && rm -rf /wheels \
    && useradd --system --uid 10001 --user-group --home-dir /nonexistent --shell /usr/sbin/nologin app \
    && mkdir -p /data \
    && chown app:app /data

USER app
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8000

# The standard library is enough to probe /health; no curl or wget in the image.
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('PORT', '8000') + '/health', timeout=4)"]

# `serve` applies migrations, then runs uvicorn with WORKERS processes.
ENTRYPOINT ["defections"]
CMD ["serve"]
