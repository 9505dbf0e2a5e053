"""Start the real service (`defections serve`, uvicorn workers) in its own process group, for tests that need
processes: concurrency, crashes. Loopback only."""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from app.ingestion.samples import sample_paths

API_KEY = "reliability-test-key"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    base: str
    log: Path

    def kill(self) -> None:
        """SIGKILL the whole process group: the master and every worker, mid-whatever."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()


def start(database_url: str, log: Path, *, workers: int = 2, timeout: float = 60) -> Server:
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "API_KEY": API_KEY,
        "RATE_LIMIT_BACKEND": "off",
        "LOG_LEVEL": "WARNING",
        "PORT": str(port),
        "HOST": "127.0.0.1",
    }
    handle = log.open("ab")
    process = subprocess.Popen(
        [sys.executable, "-m", "app", "serve", "--workers", str(workers)],
        env=env,
        stdout=handle,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    server = Server(process, f"http://127.0.0.1:{port}", log)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{server.base}/ready", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    server.stop()
    raise RuntimeError(f"server not ready:\n{log.read_text()[-3000:]}")


@contextmanager
def running(database_url: str, log: Path, *, workers: int = 2) -> Iterator[Server]:
    server = start(database_url, log, workers=workers)
    try:
        yield server
    finally:
        server.stop()


_SAMPLES = [json.loads(p.read_text(encoding="utf-8")) for p in sample_paths()]


def unique_article(n: int, seed: int = 0) -> dict[str, object]:
    """A sample article made unique by one extra sentence, so that every one is stored (not de-duplicated)."""
    rng = random.Random(seed * 1_000_003 + n)
    sample = rng.choice(_SAMPLES)
    text = f"{sample['text']}\n\nReference {seed}-{n}: the account was confirmed by a second source."
    return {"title": sample["title"], "source": sample["source"], "published": sample["published"], "text": text}
