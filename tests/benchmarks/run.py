"""The performance benchmark suite (not part of the test run: start it by hand).

    .venv/bin/pip install -e ".[benchmark]"      # datasette, pyinstrument; wrk from apt (apt-get install -y wrk)
    .venv/bin/python tests/benchmarks/run.py [--sizes 10000,100000,1000000] [--duration 10] [--workdir DIR]

For each size: builds a SQLite file with `datagen.py` (the project's migrations, then bulk rows), starts the
server as production does (`defections serve`: WORKERS=2, LOG_LEVEL=WARNING, a file database; RATE_LIMIT_BACKEND=off
for this run only, so the load generator's single address is not throttled), drives it from another process with
wrk at 16 connections (a bounded asyncio httpx client when wrk is missing) and prints requests/s, p50 and p99
latency and the peak RSS of the server's worker processes (summed, sampled from /proc every 50 ms) for:

* a three-filter sorted list query (limit 50), and the same query served by Datasette on the same file (ratio);
* the 1,000th page of a cursor walk (limit 50) against the first page;
* one incident by id (random ids), /stats by year and destination, a GeoJSON bbox page, POST /articles;
* a CSV export of every incident (total seconds, peak RSS during it).

Then, once: extraction throughput (bench_extraction.py) and end-to-end ingestion throughput (article files on disk
to committed rows through app.ingestion.store.Ingestor into a new SQLite file, RSS at start and end).

Everything targets 127.0.0.1 only; every load is bounded in time and the run stops by itself. Absolute figures
drift on shared machines; the ratios of one run are what to quote.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.benchmarks import datagen  # noqa: E402

HOST = "127.0.0.1"  # the only address this suite ever sends traffic to
CONNECTIONS = 16
WORKERS = 2
API_KEY = "benchmark-key-not-secret"
LIST_QUERY = "origin=PRK&method=river&date_from=2000-01-01&sort=-date_start&limit=50"
DATASETTE_QUERY = (
    "origin_country=PRK&method=river&date_start__gte=2000-01-01&_sort_desc=date_start&_size=50&_nocount=1&_nofacet=1"
)
WALK_QUERY = "sort=-date_start&limit=50"
WALK_PAGES = 1000
WARMUP_S = 2.0
BBOX_QUERY = "bbox=124.0,39.5,130.5,43.0&format=geojson&limit=100"
STATS_QUERY = "group_by=year,destination"
TARGETS = {
    "list_ratio": 2.0,
    "list_p99_ms": 100.0,
    "cursor_ratio": 1.2,
    "detail_rps": 1500.0,
    "stats_p50_ms": 300.0,
    "csv_s": 20.0,
    "csv_rss_mb": 300.0,
    "list_rss_mb": 250.0,
    "datagen_rate": 50_000.0,
    "ingest_rate": 200.0,
}


# --- measuring ----------------------------------------------------------------------------------------------------


@dataclass
class Load:
    """One load run: throughput, latency percentiles, errors and the server's peak RSS during it."""

    name: str
    url: str
    rps: float = 0.0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    requests: int = 0
    errors: int = 0
    rss_mb: float = 0.0
    cpu_ms: float = 0.0  # server CPU time (user + system, all workers) per request: steadier than req/s
    note: str = ""


def _rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _children(pid: int) -> list[int]:
    out: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as handle:
                out.extend(int(child) for child in handle.read().split())
    except OSError:
        pass
    return out


def worker_pids(root: int) -> list[int]:
    """The uvicorn worker processes under `root` (with WORKERS=1 uvicorn serves in `root` itself)."""
    pids = []
    stack = [root]
    while stack:
        pid = stack.pop()
        kids = _children(pid)
        stack.extend(kids)
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if b"spawn_main" in cmdline:
            pids.append(pid)
    return pids or [root]


class RssSampler:
    """Samples the summed RSS of the server's workers every 50 ms; `peak()` since the last `reset()`, in MB."""

    def __init__(self, root: int) -> None:
        self.root = root
        self._peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.05):
            total = sum(_rss_kb(pid) for pid in worker_pids(self.root))
            self._peak = max(self._peak, total)

    def now_mb(self) -> float:
        return sum(_rss_kb(pid) for pid in worker_pids(self.root)) / 1024

    def supervisor_mb(self) -> float:
        return _rss_kb(self.root) / 1024

    def reset(self) -> None:
        self._peak = sum(_rss_kb(pid) for pid in worker_pids(self.root))

    def peak(self) -> float:
        return self._peak / 1024

    def cpu_s(self) -> float:
        """CPU seconds used so far by the server's processes (workers and supervisor)."""
        total = 0
        stack = [self.root]
        while stack:
            pid = stack.pop()
            stack.extend(_children(pid))
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                total += int(fields[11]) + int(fields[12])
            except (OSError, IndexError, ValueError):
                continue
        return total / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    return float(match.group(1)) * _UNITS[match.group(2)] if match else float("nan")


def run_wrk(name: str, url: str, duration: float, script: Path | None = None) -> Load:
    command = ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{max(1, round(duration))}s", "--latency", "--timeout", "30s"]
    if script is not None:
        command += ["-s", str(script)]
    out = subprocess.run([*command, url], capture_output=True, text=True, timeout=duration + 60).stdout
    load = Load(name, url)
    if m := re.search(r"Requests/sec:\s+([\d.]+)", out):
        load.rps = float(m.group(1))
    if m := re.search(r"(\d+) requests in", out):
        load.requests = int(m.group(1))
    for pct, attr in (("50", "p50_ms"), ("99", "p99_ms")):
        if m := re.search(rf"^\s+{pct}(?:\.000)?%\s+(\S+)", out, re.M):
            setattr(load, attr, _ms(m.group(1)))
    if m := re.search(r"Non-2xx or 3xx responses: (\d+)", out):
        load.errors += int(m.group(1))
    if m := re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out):
        load.errors += sum(int(g) for g in m.groups())
    return load


def run_httpx(
    name: str, url: str, duration: float, make: Callable[[int], tuple[str, str, dict[str, Any]]] | None = None
) -> Load:
    """The fallback load generator: CONNECTIONS concurrent asyncio clients for `duration` seconds (bounded)."""

    async def main() -> tuple[list[float], int]:
        latencies: list[float] = []
        errors = 0
        deadline = time.perf_counter() + duration
        counter = 0
        limits = httpx.Limits(max_connections=CONNECTIONS, max_keepalive_connections=CONNECTIONS)
        async with httpx.AsyncClient(limits=limits, timeout=30) as client:

            async def one() -> None:
                nonlocal errors, counter
                while time.perf_counter() < deadline:
                    counter += 1
                    method, target, extra = make(counter) if make else ("GET", url, {})
                    started = time.perf_counter()
                    try:
                        response = await client.request(method, target, **extra)
                        if response.status_code >= 400:
                            errors += 1
                    except httpx.HTTPError:
                        errors += 1
                    latencies.append((time.perf_counter() - started) * 1000)

            await asyncio.gather(*(one() for _ in range(CONNECTIONS)))
        return latencies, errors

    started = time.perf_counter()
    latencies, errors = asyncio.run(main())
    elapsed = time.perf_counter() - started
    latencies.sort()
    load = Load(name, url, requests=len(latencies), errors=errors, note="httpx")
    if latencies:
        load.rps = len(latencies) / elapsed
        load.p50_ms = latencies[len(latencies) // 2]
        load.p99_ms = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    return load


# --- servers ------------------------------------------------------------------------------------------------------


def _loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def wait_ready(url: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"server at {url} did not become ready")


@contextmanager
def serve(db: Path, workdir: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`defections serve` in its own process group, with production settings; stopped on exit."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{db}",
        "LOG_LEVEL": "WARNING",
        "RATE_LIMIT_BACKEND": "off",  # benchmark only: one client address would be throttled at 600/min
        "WORKERS": str(WORKERS),
        "HOST": HOST,
        "PORT": str(port),
        "API_KEY": API_KEY,
        "LOAD_SAMPLES": "false",
    }
    defections = Path(sys.executable).with_name("defections")
    command = [str(defections)] if defections.exists() else [sys.executable, "-m", "app"]
    log = (workdir / "server.log").open("ab")
    process = subprocess.Popen(
        [*command, "serve"], env=env, cwd=workdir, stdout=log, stderr=log, start_new_session=True
    )
    base = f"http://{HOST}:{port}"
    try:
        wait_ready(f"{base}/ready")
        yield base, process
    finally:
        _stop(process)
        log.close()


@contextmanager
def datasette(db: Path, workdir: Path) -> Iterator[str]:
    port = free_port()
    binary = Path(sys.executable).with_name("datasette")
    command = [str(binary) if binary.exists() else "datasette", "serve", str(db), "-h", HOST, "-p", str(port)]
    # A longer SQL time limit than the 1 s default, so a slow plan is measured as slow rather than as errors.
    command += ["--setting", "sql_time_limit_ms", "30000"]
    log = (workdir / "datasette.log").open("ab")
    process = subprocess.Popen(command, cwd=workdir, stdout=log, stderr=log, start_new_session=True)
    base = f"http://{HOST}:{port}"
    try:
        wait_ready(f"{base}/-/versions.json")
        yield base
    finally:
        _stop(process)
        log.close()


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)  # the group this suite started (the server and its workers)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


# --- scenarios ----------------------------------------------------------------------------------------------------


def _lua(workdir: Path, name: str, body: str) -> Path:
    path = workdir / name
    path.write_text(body)
    return path


def random_ids_script(workdir: Path, count: int) -> Path:
    return _lua(
        workdir,
        "random_ids.lua",
        f"""
local counter = 0
function setup(thread) counter = counter + 1; thread:set("tid", counter) end
function init(args) math.randomseed(os.time() * 1000 + tid) end
function request() return wrk.format("GET", "/incidents/" .. math.random(1, {count})) end
""",
    )


def _post_texts() -> list[str]:
    texts = []
    for path in sorted((ROOT / "app" / "samples").glob("*.json"))[:12]:
        texts.append(json.loads(path.read_text(encoding="utf-8"))["text"])
    return texts


def post_script(workdir: Path) -> Path:
    texts = ", ".join(json.dumps(json.dumps(t)[1:-1]) for t in _post_texts())  # Lua strings of JSON-escaped text
    return _lua(
        workdir,
        "post_articles.lua",
        f"""
local counter = 0
local texts = {{ {texts} }}
function setup(thread) counter = counter + 1; thread:set("tid", counter) end
function init(args) n = 0; math.randomseed(os.time() * 1000 + tid) end
function request()
  n = n + 1
  local tag = tid .. "-" .. n .. "-" .. math.random(1, 1000000000)
  local text = texts[(n % #texts) + 1]
  local published = string.format("%04d-%02d-%02d", math.random(1995, 2025), math.random(1, 12), math.random(1, 28))
  local body = '{{"title": "Benchmark article ' .. tag .. '", "source": "Benchmark Wire", '
    .. '"published": "' .. published .. '", '
    .. '"text": "' .. text .. ' (Benchmark note ' .. tag .. '.)"}}'
  return wrk.format("POST", "/articles",
    {{["Content-Type"] = "application/json", ["Authorization"] = "Bearer {API_KEY}"}}, body)
end
""",
    )


class Driver:
    """Runs loads with wrk when it is installed, else with the httpx fallback; samples RSS around each."""

    def __init__(self, duration: float, workdir: Path, sampler: RssSampler | None) -> None:
        self.duration = duration
        self.workdir = workdir
        self.sampler = sampler
        self.wrk = shutil.which("wrk") is not None

    def load(self, name: str, url: str, *, script: Path | None = None, maker: Any = None) -> Load:
        # A short unmeasured run first (connections, caches, lazy imports), then the measured one.
        if self.wrk:
            run_wrk(name, url, WARMUP_S, script)
        else:
            run_httpx(name, url, WARMUP_S, maker)
        cpu = 0.0
        if self.sampler:
            self.sampler.reset()
            cpu = self.sampler.cpu_s()
        run = run_wrk(name, url, self.duration, script) if self.wrk else None
        result = run or run_httpx(name, url, self.duration, maker)
        if self.sampler:
            result.rss_mb = self.sampler.peak()
            result.cpu_ms = (self.sampler.cpu_s() - cpu) * 1000 / max(result.requests, 1)
        print(
            f"  {name:<22} {result.rps:9.1f} req/s  p50 {result.p50_ms:8.2f} ms  p99 {result.p99_ms:8.2f} ms  "
            f"rss {result.rss_mb:6.1f} MB  cpu {result.cpu_ms:6.2f} ms/req  errors {result.errors}",
            flush=True,
        )
        return result


def cursor_walk(base: str, pages: int) -> tuple[str, int]:
    """Follow `next` from the first page of WALK_QUERY; the URL of page `pages` (or of the last page) and its number."""
    url = f"{base}/incidents?{WALK_QUERY}"
    number = 1
    with httpx.Client(timeout=60) as client:
        while number < pages:
            following = client.get(url).json()["next"]
            if following is None:
                break
            url, number = following, number + 1
    return url, number


def csv_export(base: str, sampler: RssSampler) -> dict[str, Any]:
    sampler.reset()
    started = time.perf_counter()
    size = rows = 0
    with httpx.Client(timeout=600) as client, client.stream("GET", f"{base}/incidents?format=csv&limit=all") as r:
        r.raise_for_status()
        for chunk in r.iter_bytes(1 << 20):
            size += len(chunk)
            rows += chunk.count(b"\n")
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "rows": rows - 1, "mb": size / 1e6, "rss_mb": sampler.peak()}


@dataclass
class SizeResult:
    incidents: int
    datagen: dict[str, Any] = field(default_factory=dict)
    loads: dict[str, Load] = field(default_factory=dict)
    cursor_page: int = 0
    stats_cold_ms: float = 0.0
    csv: dict[str, Any] = field(default_factory=dict)
    idle_rss_mb: float = 0.0
    supervisor_rss_mb: float = 0.0


def bench_size(n: int, workdir: Path, duration: float) -> SizeResult:
    label = f"{n:,}"
    print(f"\n== {label} incidents == (load average before: {_loadavg()})", flush=True)
    db = workdir / f"incidents-{n}.db"
    stats = datagen.generate(db, n)
    result = SizeResult(n, datagen=asdict(stats))
    with serve(db, workdir) as (base, process):
        sampler = RssSampler(process.pid)
        try:
            driver = Driver(duration, workdir, sampler)
            result.idle_rss_mb = sampler.now_mb()
            result.supervisor_rss_mb = sampler.supervisor_mb()
            print(
                f"  server: {WORKERS} workers, {result.idle_rss_mb:.1f} MB RSS idle "
                f"(+ {result.supervisor_rss_mb:.1f} MB supervisor)",
                flush=True,
            )
            loads = result.loads
            loads["list"] = driver.load("list (3 filters)", f"{base}/incidents?{LIST_QUERY}")
            page_url, result.cursor_page = cursor_walk(base, WALK_PAGES)
            loads["first_page"] = driver.load("cursor page 1", f"{base}/incidents?{WALK_QUERY}")
            loads["deep_page"] = driver.load(f"cursor page {result.cursor_page}", page_url)
            script = random_ids_script(workdir, n)

            def random_id(_: int) -> tuple[str, str, dict[str, Any]]:
                return "GET", f"{base}/incidents/{random.randint(1, n)}", {}

            loads["detail"] = driver.load("incident by id", f"{base}/incidents/1", script=script, maker=random_id)
            started = time.perf_counter()
            httpx.get(f"{base}/stats?{STATS_QUERY}", timeout=120).raise_for_status()
            result.stats_cold_ms = (time.perf_counter() - started) * 1000
            loads["stats"] = driver.load("stats year,destination", f"{base}/stats?{STATS_QUERY}")
            loads["geojson"] = driver.load("geojson bbox (100)", f"{base}/incidents?{BBOX_QUERY}")
            result.csv = csv_export(base, sampler)
            print(
                f"  csv export             {result.csv['seconds']:6.1f} s for {result.csv['rows']:,} rows "
                f"({result.csv['mb']:.0f} MB), peak rss {result.csv['rss_mb']:.1f} MB",
                flush=True,
            )
            texts = _post_texts()

            def post(i: int) -> tuple[str, str, dict[str, Any]]:
                tag = f"{i}-{random.getrandbits(40)}"
                published = f"{random.randint(1995, 2025):04d}-{random.randint(1, 12):02d}-{random.randint(1, 28):02d}"
                body = {"title": f"Benchmark article {tag}", "source": "Benchmark Wire", "published": published,
                        "text": f"{texts[i % len(texts)]} (Benchmark note {tag}.)"}  # fmt: skip
                return "POST", f"{base}/articles", {"json": body, "headers": {"Authorization": f"Bearer {API_KEY}"}}

            loads["post"] = driver.load("POST /articles", f"{base}/articles", script=post_script(workdir), maker=post)
        finally:
            sampler.stop()
    with datasette(db, workdir) as ds_base:
        driver = Driver(duration, workdir, None)
        loads["datasette"] = driver.load("datasette list", f"{ds_base}/{db.stem}/incident.json?{DATASETTE_QUERY}")
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    return result


# --- once: extraction and ingestion -------------------------------------------------------------------------------


def self_rss_mb() -> float:
    return _rss_kb(os.getpid()) / 1024


def bench_extraction(seconds: float) -> dict[str, float]:
    """bench_extraction.py in a fresh process (this runner's heap, grown by the data generator, would slow it)."""
    script = Path(__file__).resolve().with_name("bench_extraction.py")
    out = subprocess.run(
        [sys.executable, str(script), "--seconds", str(seconds)], capture_output=True, text=True, timeout=600
    ).stdout
    print(f"\n== extraction (bench_extraction.py) ==\n{out.rstrip()}", flush=True)
    found = re.search(r"defection articles:\s+([\d.]+) articles/s", out)
    mb = re.search(r"unrelated text:\s+([\d.]+) MB/s", out)
    return {"articles_per_s": float(found.group(1)) if found else 0.0, "mb_per_s": float(mb.group(1)) if mb else 0.0}


def write_articles(folder: Path, count: int) -> None:
    """Article files from the bundled samples and the extraction corpus, each with a small unique change (an
    extra sentence and its own URL) so that none is a duplicate of another."""
    sources = sorted((ROOT / "app" / "samples").glob("*.json")) + sorted(
        (ROOT / "tests" / "extraction" / "corpus").glob("*.json")
    )
    bases = [json.loads(path.read_text(encoding="utf-8")) for path in sources]
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(7)
    for i in range(count):
        base = bases[i % len(bases)]
        desk = rng.choice(("Seoul", "Tokyo", "Beijing", "Washington", "London"))
        article = {
            "id": f"bench-{i}",
            "url": f"https://bench.example.org/{i}/{base['id']}",
            "title": f"{base.get('title') or 'Untitled'} ({desk} desk {i})",
            "source": base.get("source") or "Benchmark Wire",
            "published": base.get("published"),
            "text": f"{base['text']}\n\nThis report was filed by the {desk} desk (reference {i}).",
        }
        (folder / f"a{i:06d}.json").write_text(json.dumps(article), encoding="utf-8")


def bench_ingestion(workdir: Path, count: int) -> dict[str, float]:
    """Runs `ingest_main` in a fresh process, so its RSS is the ingestion's own (not this runner's)."""
    out = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--ingest-only", str(count), "--workdir", str(workdir)],
        capture_output=True,
        text=True,
        timeout=1800,
    )
    print(out.stdout.rstrip(), flush=True)
    if out.returncode != 0:
        print(out.stderr[-2000:], flush=True)
        return {}
    last = out.stdout.strip().splitlines()[-1]
    return dict(json.loads(last.removeprefix("result: ")))


def _children_rss_mb() -> float:
    return sum(_rss_kb(pid) for pid in _children(os.getpid())) / 1024


def ingest_main(workdir: Path, count: int) -> None:
    """End-to-end ingestion: article files on disk to committed rows, through Ingestor.ingest_many (extraction in
    one process per core, storage here) into a new SQLite file migrated by the project's migrations."""
    from app.core import migrate
    from app.core.db import dispose_engines, engine_for_url
    from app.ingestion.readers import RawArticle, read_path
    from app.ingestion.store import Ingestor

    folder = workdir / "articles"
    shutil.rmtree(folder, ignore_errors=True)
    write_articles(folder, count)
    db = workdir / "ingest.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    url = f"sqlite:///{db}"
    migrate.upgrade(url)
    ingestor = Ingestor(engine_for_url(url))
    files = sorted(folder.glob("*.json"))
    print(f"\n== ingestion: {len(files):,} article files -> SQLite (Ingestor.ingest_many) ==", flush=True)

    def articles() -> Iterator[RawArticle]:
        for path in files:
            for item in read_path(path):
                if isinstance(item, RawArticle):
                    yield item

    statuses: dict[str, int] = {}
    marks: dict[str, float] = {"rss_start_mb": self_rss_mb()}
    started = time.perf_counter()
    for i, outcome in enumerate(ingestor.ingest_many(articles()), start=1):
        statuses[outcome.status] = statuses.get(outcome.status, 0) + 1
        if i == len(files) // 10:  # the lexicon, gazetteer and caches have loaded by now
            marks["rss_10pct_mb"] = self_rss_mb()
            marks["workers_10pct_mb"] = _children_rss_mb()
        if i == len(files) - 1:
            marks["rss_end_mb"] = self_rss_mb()
            marks["workers_end_mb"] = _children_rss_mb()
    elapsed = time.perf_counter() - started
    dispose_engines()
    rate = len(files) / elapsed
    print(
        f"  {rate:.0f} articles/s ({len(files):,} in {elapsed:.1f} s; {statuses}); target >= 200\n"
        f"  storing process RSS: {marks['rss_start_mb']:.0f} MB at the start, {marks.get('rss_10pct_mb', 0):.0f} MB "
        f"after 10 %, {marks.get('rss_end_mb', 0):.0f} MB at the end; extraction workers "
        f"{marks.get('workers_10pct_mb', 0):.0f} MB after 10 %, {marks.get('workers_end_mb', 0):.0f} MB at the end",
        flush=True,
    )
    # The same batch through the command line users run (a new database; process start and migrations included).
    cli_db = workdir / "ingest-cli.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{cli_db}{suffix}").unlink(missing_ok=True)
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{cli_db}"}
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "app", "ingest", "--quiet", str(folder)], env=env, capture_output=True, text=True
    )
    cli_elapsed = time.perf_counter() - started
    cli_rate = len(files) / cli_elapsed
    summary = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else done.stderr.strip()[-300:]
    print(f"  defections ingest: {cli_rate:.0f} articles/s ({cli_elapsed:.1f} s, exit {done.returncode}: {summary})")
    shutil.rmtree(folder, ignore_errors=True)
    print("result: " + json.dumps({"articles_per_s": rate, "cli_articles_per_s": cli_rate, **marks}), flush=True)


# --- report -------------------------------------------------------------------------------------------------------


def _ratio(a: float, b: float) -> float:
    return a / b if b > 0 else float("inf")


def _mark(ok: bool) -> str:
    return "met" if ok else "MISSED"


def report(results: list[SizeResult], extraction: dict[str, float], ingestion: dict[str, float]) -> str:
    lines = [
        "| scenario | " + " | ".join(f"{r.incidents:,}" for r in results) + " |",
        "| --- |" + " --- |" * len(results),
    ]

    def row(label: str, cell: Callable[[SizeResult], str]) -> None:
        lines.append(f"| {label} | " + " | ".join(cell(r) for r in results) + " |")

    def fmt(load: Load) -> str:
        cpu = f", {load.cpu_ms:.2f} ms CPU/req" if load.cpu_ms else ""
        return f"{load.rps:,.0f} req/s, p50 {load.p50_ms:.1f} ms, p99 {load.p99_ms:.1f} ms{cpu}"

    row("datagen (rows / with indexes and FTS)", lambda r: (
        f"{r.incidents / r.datagen['insert_s']:,.0f} / "
        f"{r.incidents / (r.datagen['insert_s'] + r.datagen['index_s'] + r.datagen['fts_s']):,.0f} incidents/s"
    ))  # fmt: skip
    row("list, 3 filters, limit 50", lambda r: fmt(r.loads["list"]) + f", RSS {r.loads['list'].rss_mb:.0f} MB")
    row("Datasette, same query", lambda r: fmt(r.loads["datasette"]))
    row("ratio ours/Datasette (req/s)", lambda r: f"{_ratio(r.loads['list'].rps, r.loads['datasette'].rps):.1f}x")
    row("cursor page 1", lambda r: fmt(r.loads["first_page"]))
    row("cursor page 1000 (deepest)", lambda r: f"page {r.cursor_page}: " + fmt(r.loads["deep_page"]))
    row(
        "deep/first page p50", lambda r: f"{r.loads['deep_page'].p50_ms / max(r.loads['first_page'].p50_ms, 1e-9):.2f}x"
    )
    row("incident by id (random)", lambda r: fmt(r.loads["detail"]))
    row("stats year,destination", lambda r: fmt(r.loads["stats"]) + f" (first, uncached: {r.stats_cold_ms:.0f} ms)")
    row("GeoJSON bbox, limit 100", lambda r: fmt(r.loads["geojson"]))
    row(
        "CSV export, every incident",
        lambda r: f"{r.csv['seconds']:.1f} s ({r.csv['mb']:.0f} MB), peak RSS {r.csv['rss_mb']:.0f} MB",
    )
    row("POST /articles", lambda r: fmt(r.loads["post"]))
    row("server RSS idle (workers)", lambda r: f"{r.idle_rss_mb:.0f} MB (+ {r.supervisor_rss_mb:.0f} MB supervisor)")
    table = "\n".join(lines)

    big = max(results, key=lambda r: r.incidents)
    t = TARGETS
    list_ratio = _ratio(big.loads["list"].rps, big.loads["datasette"].rps)
    deep = _ratio(big.loads["deep_page"].p50_ms, big.loads["first_page"].p50_ms)
    datagen_rate = big.incidents / big.datagen["insert_s"]
    datagen_load_rate = big.incidents / (big.datagen["insert_s"] + big.datagen["index_s"] + big.datagen["fts_s"])
    checks = [
        (f"list >= {t['list_ratio']}x Datasette", f"{list_ratio:.1f}x", list_ratio >= t["list_ratio"]),
        (f"list p99 <= {t['list_p99_ms']:.0f} ms", f"{big.loads['list'].p99_ms:.1f} ms",
         big.loads["list"].p99_ms <= t["list_p99_ms"]),
        (f"page {big.cursor_page} within {t['cursor_ratio']}x of page 1 (p50)", f"{deep:.2f}x",
         deep <= t["cursor_ratio"]),
        (f"incident by id >= {t['detail_rps']:.0f} req/s", f"{big.loads['detail'].rps:,.0f}",
         big.loads["detail"].rps >= t["detail_rps"]),
        (f"stats p50 <= {t['stats_p50_ms']:.0f} ms", f"{big.loads['stats'].p50_ms:.1f} ms",
         big.loads["stats"].p50_ms <= t["stats_p50_ms"]),
        (f"CSV export <= {t['csv_s']:.0f} s", f"{big.csv['seconds']:.1f} s", big.csv["seconds"] <= t["csv_s"]),
        (f"RSS during CSV <= {t['csv_rss_mb']:.0f} MB", f"{big.csv['rss_mb']:.0f} MB",
         big.csv["rss_mb"] <= t["csv_rss_mb"]),
        (f"RSS under list load <= {t['list_rss_mb']:.0f} MB", f"{big.loads['list'].rss_mb:.0f} MB",
         big.loads["list"].rss_mb <= t["list_rss_mb"]),
        (f"datagen >= {t['datagen_rate']:,.0f} incidents/s (rows)",
         f"{datagen_rate:,.0f} (end to end with indexes and full-text: {datagen_load_rate:,.0f})",
         datagen_rate >= t["datagen_rate"]),
        (f"ingestion >= {t['ingest_rate']:.0f} articles/s", f"{ingestion.get('articles_per_s', 0):.0f}",
         ingestion.get("articles_per_s", 0) >= t["ingest_rate"]),
    ]  # fmt: skip
    lines = [f"\nTargets at {big.incidents:,} incidents, {CONNECTIONS} connections:", "| target | measured | |",
             "| --- | --- | --- |"]  # fmt: skip
    lines += [f"| {name} | {value} | {_mark(ok)} |" for name, value, ok in checks]
    lines.append(
        f"\nextraction {extraction.get('articles_per_s', 0):.0f} articles/s; ingestion "
        f"{ingestion.get('articles_per_s', 0):.0f} articles/s, storing process RSS "
        f"{ingestion.get('rss_10pct_mb', 0):.0f} MB after 10 % and {ingestion.get('rss_end_mb', 0):.0f} MB at the end "
        "of the batch"
    )
    return table + "\n" + "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000,1000000", help="comma-separated incident counts")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of load per scenario (bounded)")
    parser.add_argument("--workdir", type=Path, default=None, help="where the SQLite files go (default: a temp dir)")
    parser.add_argument("--ingest-articles", type=int, default=3000, help="article files for the ingestion run")
    parser.add_argument("--json", type=Path, default=None, help="also write the raw results here")
    parser.add_argument("--ingest-only", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.ingest_only is not None:
        ingest_main(args.workdir or Path(tempfile.mkdtemp(prefix="defections-bench-")), args.ingest_only)
        return 0
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    duration = min(max(args.duration, 1.0), 60.0)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="defections-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    print(
        f"benchmark: sizes {sizes}, {duration:.0f} s per load, {CONNECTIONS} connections, "
        f"{'wrk' if shutil.which('wrk') else 'httpx (wrk not installed)'}, {os.cpu_count()} cores, workdir {workdir}",
        flush=True,
    )
    results = [bench_size(n, workdir, duration) for n in sizes]
    extraction = bench_extraction(3.0)
    ingestion = bench_ingestion(workdir, args.ingest_articles)
    text = report(results, extraction, ingestion)
    print("\n" + text)
    if args.json:
        payload = {
            "date": time.strftime("%Y-%m-%d"),
            "sizes": [{**asdict(r), "loads": {k: asdict(v) for k, v in r.loads.items()}} for r in results],
            "extraction": extraction,
            "ingestion": ingestion,
        }
        args.json.write_text(json.dumps(payload, indent=2, default=str))
    if args.workdir is None:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
