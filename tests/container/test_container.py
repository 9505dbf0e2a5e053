"""Build the production image and run it as users would: SQLite on a volume, then an external PostgreSQL.

Skipped (with the reason) where no `docker` command exists; CI sources ../shared/container/setup.sh first, so there
it builds and runs the real image (podman standing in for Docker)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[2]
IMAGE = "defections-api:test"
API_KEY = "container-test-key-" + uuid.uuid4().hex
SAMPLE = json.loads(sorted((ROOT / "app" / "samples").glob("*.json"))[0].read_text(encoding="utf-8"))


def _engine_reachable() -> bool:
    if shutil.which("docker") is None:
        return False
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=60).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


pytestmark = [
    pytest.mark.container,
    pytest.mark.skipif(
        not _engine_reachable(),
        reason="no working docker engine here (on these machines: source ../shared/container/setup.sh)",
    ),
]


def docker(*args: str, check: bool = True, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    # podman writes OCI images unless told otherwise, and the OCI format has no HEALTHCHECK; Docker ignores this.
    env = {**os.environ, "BUILDAH_FORMAT": "docker"}
    return subprocess.run(["docker", *args], capture_output=True, text=True, check=check, timeout=timeout, env=env)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_ready(base: str, name: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/ready", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    logs = docker("logs", name, check=False).stdout + docker("logs", name, check=False).stderr
    raise AssertionError(f"{name} not ready after {timeout} s:\n{logs[-3000:]}")


def healthy(name: str, timeout: float = 60) -> bool:
    podman = "podman" in docker("--version").stdout.lower()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if podman:
            # podman runs health checks from systemd timers, which this sandbox lacks: run the image's check now.
            if docker("healthcheck", "run", name, check=False).returncode == 0:
                return True
        else:
            status = docker("inspect", "--format", "{{.State.Health.Status}}", name).stdout.strip()
            if status == "healthy":
                return True
        time.sleep(1)
    return False


@pytest.fixture(scope="module")
def image() -> str:
    docker("build", "-t", IMAGE, str(ROOT), timeout=1200)
    return IMAGE


def test_image_runs_the_compiled_extractor_with_the_same_results(image: str) -> None:
    """The image's extraction stages are mypyc-compiled, and they extract exactly what the sources do."""
    compiled = docker(
        "run", "--rm", "--entrypoint", "python", image, "-c", "import app.extraction as e; print(e.COMPILED)"
    )
    assert compiled.stdout.strip() == "True", compiled.stdout + compiled.stderr
    corpus = ROOT / "tests" / "extraction" / "corpus"
    files = sorted(path.name for path in corpus.glob("*.json"))
    ours = subprocess.run(
        [sys.executable, "-m", "app", "extract", "--format", "jsonl", *files],
        cwd=corpus,
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    theirs = docker(
        "run", "--rm", "-v", f"{corpus}:/corpus:ro", "-w", "/corpus", image, "extract", "--format", "jsonl", *files
    )
    assert len(ours.stdout.splitlines()) == len(files)
    assert theirs.stdout == ours.stdout


@pytest.fixture
def volume() -> Iterator[str]:
    name = f"defections-test-{uuid.uuid4().hex[:8]}"
    docker("volume", "create", name)
    yield name
    docker("volume", "rm", "-f", name, check=False)


def run(image: str, name: str, *args: str) -> None:
    docker("run", "-d", "--name", name, "-e", f"API_KEY={API_KEY}", *args, image)


def test_image_on_sqlite_volume(image: str, volume: str) -> None:
    name = f"defections-sqlite-{uuid.uuid4().hex[:8]}"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    run(image, name, "-p", f"127.0.0.1:{port}:8000", "-v", f"{volume}:/data")
    try:
        wait_ready(base, name)
        assert docker("exec", name, "id", "-u").stdout.strip() != "0", "the service must not run as root"
        assert healthy(name), "the image's HEALTHCHECK did not pass"

        article = {k: SAMPLE[k] for k in ("title", "source", "published", "text")}
        unauthorised = httpx.post(f"{base}/articles", json=article, timeout=30)
        assert unauthorised.status_code == 401
        created = httpx.post(f"{base}/articles", json=article, headers={"X-API-Key": API_KEY}, timeout=30)
        assert created.status_code == 201, created.text
        incident_ids = {i["id"] for i in created.json()["incidents"]}
        assert incident_ids

        listed = httpx.get(f"{base}/incidents", params={"limit": 100}, timeout=10).json()["data"]
        assert incident_ids <= {i["id"] for i in listed}

        docker("restart", name, timeout=120)
        wait_ready(base, name)
        again = httpx.get(f"{base}/incidents", params={"limit": 100}, timeout=10).json()["data"]
        assert incident_ids <= {i["id"] for i in again}, "data must survive a restart on the same volume"
        logs = docker("logs", name).stderr
        assert '"request_id"' in logs, "logs are JSON lines with request ids"
    finally:
        docker("rm", "-f", name, check=False)


@pytest.mark.skipif(not os.environ.get("TEST_POSTGRES_URL"), reason="TEST_POSTGRES_URL is not set")
def test_image_on_host_postgres(image: str) -> None:
    admin_url = os.environ["TEST_POSTGRES_URL"]
    database = f"container_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{database}"'))
    name = f"defections-pg-{uuid.uuid4().hex[:8]}"
    port = free_port()
    url = make_url(admin_url).set(database=database).render_as_string(hide_password=False)
    try:
        run(image, name, "--network", "host", "-e", f"DATABASE_URL={url}", "-e", f"PORT={port}", "-e", "WORKERS=1")
        base = f"http://127.0.0.1:{port}"
        wait_ready(base, name)
        assert httpx.get(f"{base}/ready", timeout=5).json()["database"] == "postgresql"
        article = {k: SAMPLE[k] for k in ("title", "source", "published", "text")}
        created = httpx.post(
            f"{base}/articles", json=article, headers={"Authorization": f"Bearer {API_KEY}"}, timeout=30
        )
        assert created.status_code == 201, created.text
        assert httpx.get(f"{base}/incidents", timeout=10).json()["data"]
    finally:
        docker("rm", "-f", name, check=False)
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        admin.dispose()
