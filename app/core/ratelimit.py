"""Rate limiting per API key (or per client address for anonymous calls): a fixed one-minute window, counted in
memory by default or in Redis so that several instances share the limits."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

WINDOW_SECONDS = 60


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    retry_after: int


class Limiter(Protocol):
    def hit(self, key: str, limit: int) -> Decision: ...


class MemoryLimiter:
    """Counts in this process; fine for one instance (each worker process counts on its own)."""

    def __init__(self, *, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._windows: dict[str, tuple[int, int]] = {}

    def hit(self, key: str, limit: int) -> Decision:
        now = self._clock()
        window = int(now // WINDOW_SECONDS)
        with self._lock:
            current, count = self._windows.get(key, (window, 0))
            if current != window:
                count = 0
            count += 1
            self._windows[key] = (window, count)
            if len(self._windows) > 100_000:  # forget old windows so memory stays bounded
                self._windows = {k: v for k, v in self._windows.items() if v[0] == window}
        retry_after = max(1, int((window + 1) * WINDOW_SECONDS - now))
        return Decision(count <= limit, limit, max(0, limit - count), retry_after)


class RedisLimiter:
    """Counts in Redis (INCR + EXPIRE in one round trip), shared by every instance that points at it."""

    def __init__(self, url: str, *, prefix: str = "defections:rl:") -> None:
        import redis

        self._redis = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self._prefix = prefix

    def hit(self, key: str, limit: int) -> Decision:
        now = time.time()
        window = int(now // WINDOW_SECONDS)
        name = f"{self._prefix}{window}:{key}"
        pipe = self._redis.pipeline()
        pipe.incr(name)
        pipe.expire(name, WINDOW_SECONDS * 2)
        count = int(pipe.execute()[0])
        retry_after = max(1, int((window + 1) * WINDOW_SECONDS - now))
        return Decision(count <= limit, limit, max(0, limit - count), retry_after)


def client_key(api_key: str | None, client_host: str | None) -> str:
    """Keys are hashed before they are used as counter names, so no key ever reaches Redis or memory dumps."""
    if api_key:
        return "key:" + hashlib.sha256(api_key.encode()).hexdigest()[:32]
    return "ip:" + (client_host or "unknown")
