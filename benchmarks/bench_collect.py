"""Benchmark `newsletter collect`: 2,000 boards of 100 jobs each, served on loopback.

A Starlette app under uvicorn (a separate process) serves boards shaped like the real APIs
(Greenhouse ~1.2 KB escaped-HTML descriptions; the "mixed" shape adds Lever, paged, and
Ashby with compensation). Each measured run is a fresh child process, so the peak RSS is
its own:

* **fetch**: every board fetched and saved gzip-compressed (the network phase): boards/s,
  wall time, peak RSS, MB on disk;
* **collect**: fetch + build the snapshot through the ingest pipeline (the whole command).

Peak memory must not grow with the number of boards: responses stream to disk, the ingest
reads the raw files in groups, and the week is deduplicated and written from batches spooled
to disk (``ingest_into``). The first shape runs at 500 and 2,000 boards to show
it, the second at 2,000.
All boards share one host here, so the per-host limits are lifted to the overall ones
(``[collect] per_host_concurrency = concurrency``, ``per_host_rate = 0``); on the real
boards they keep the crawl polite.

    make bench                                    # all benchmarks
    .venv/bin/python benchmarks/bench_collect.py  # this one
    .venv/bin/python benchmarks/bench_collect.py --boards 500 2000 --jobs 100 --shape mixed
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import resource
import socket
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CONTENT = (
    "&lt;h2&gt;About the role&lt;/h2&gt;&lt;p&gt;You will train and serve large language "
    "models with &lt;strong&gt;PyTorch&lt;/strong&gt;, vLLM and Kubernetes, build RAG "
    "pipelines and evaluation harnesses, and work with researchers on inference.&lt;/p&gt;"
    "&lt;ul&gt;&lt;li&gt;5+ years of Python&lt;/li&gt;&lt;li&gt;Experience with CUDA, "
    "Triton or JAX&lt;/li&gt;&lt;li&gt;Distributed systems on AWS or GCP&lt;/li&gt;&lt;/ul&gt;"
    "&lt;p&gt;The annual base salary for this role is $196,000 &amp;mdash; $278,100 USD. "
    "Total compensation also includes equity and benefits.&lt;/p&gt;"
) * 2
TITLES = (
    "Machine Learning Engineer",
    "Research Scientist",
    "Data Scientist",
    "Senior Software Engineer, Inference",
    "Product Manager, AI",
    "Data Engineer",
)
CITIES = ("San Francisco, CA", "New York, NY", "Seattle, WA", "London, UK", "Remote - US")


def _greenhouse(board: str, n: int) -> dict[str, Any]:
    return {
        "jobs": [
            {
                "absolute_url": f"https://job-boards.greenhouse.io/{board}/jobs/{i}",
                "id": i,
                "internal_job_id": i,
                "title": f"{TITLES[i % len(TITLES)]} {i % 7}",
                "location": {"name": CITIES[i % len(CITIES)]},
                "updated_at": "2026-11-20T10:15:00-05:00",
                "first_published": "2026-11-10T09:00:00-05:00",
                "company_name": board,
                "content": CONTENT,
                "departments": [{"id": 1, "name": "Engineering"}],
                "offices": [],
            }
            for i in range(n)
        ],
        "meta": {"total": n},
    }


def _lever(board: str, n: int) -> list[dict[str, Any]]:
    return [
        {
            "id": f"{board}-{i}",
            "text": f"{TITLES[i % len(TITLES)]} {i % 7}",
            "hostedUrl": f"https://jobs.lever.co/{board}/{i}",
            "createdAt": 1763650000000,
            "categories": {"location": CITIES[i % len(CITIES)], "commitment": "Full-time"},
            "workplaceType": "hybrid",
            "descriptionPlain": "Train models with PyTorch and serve them with vLLM. " * 12,
            "lists": [{"text": "You have", "content": "<li>Python</li><li>CUDA</li>"}],
            "salaryRange": {
                "min": 180000,
                "max": 240000,
                "currency": "USD",
                "interval": "per-year-salary",
            },
        }
        for i in range(n)
    ]


def _ashby(board: str, n: int) -> dict[str, Any]:
    comp = {"summaryComponents": [{"compensationType": "Salary", "interval": "1 YEAR",
                                   "currencyCode": "USD", "minValue": 170000,
                                   "maxValue": 230000}]}  # fmt: skip
    return {
        "apiVersion": "1",
        "jobs": [
            {
                "id": f"{board}-{i}",
                "title": f"{TITLES[i % len(TITLES)]} {i % 7}",
                "location": CITIES[i % len(CITIES)],
                "isListed": True,
                "publishedAt": "2026-11-12T17:00:00.000+00:00",
                "jobUrl": f"https://jobs.ashbyhq.com/{board}/{i}",
                "descriptionHtml": "<p>Serve LLMs with vLLM and Kubernetes.</p>" * 12,
                "compensation": comp,
            }
            for i in range(n)
        ],
    }


def serve(sock: socket.socket, jobs: int) -> None:
    """The fake boards (run in a child process)."""
    import uvicorn
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    def body(data: object) -> Response:
        return Response(json.dumps(data).encode(), media_type="application/json")

    async def gh(r: Request) -> Response:
        return body(_greenhouse(r.path_params["board"], jobs))

    async def lever(r: Request) -> Response:
        skip, limit = int(r.query_params["skip"]), int(r.query_params["limit"])
        return body(_lever(r.path_params["board"], jobs)[skip : skip + limit])

    async def ashby(r: Request) -> Response:
        return body(_ashby(r.path_params["board"], jobs))

    app = Starlette(
        routes=[
            Route("/gh/v1/boards/{board}/jobs", gh),
            Route("/lever/v0/postings/{board}", lever),
            Route("/ashby/posting-api/job-board/{board}", ashby),
        ]
    )
    uvicorn.Server(uvicorn.Config(app, log_level="error", access_log=False)).run(sockets=[sock])


def _config(tmp: Path, base: str, concurrency: int) -> Any:
    from newsletter.config import parse_config

    return parse_config(
        {
            "data": {"snapshots_dir": str(tmp / "snapshots"), "rules_dir": str(ROOT / "rules")},
            "collect": {
                "sources": str(tmp / "sources.toml"),
                "concurrency": concurrency,
                "per_host_concurrency": concurrency,
                "per_host_rate": 0,
                "greenhouse": {"base_url": f"{base}/gh"},
                "lever": {"base_url": f"{base}/lever"},
                "ashby": {"base_url": f"{base}/ashby"},
            },
        }
    )


def _sources(n: int, shape: str) -> list[Any]:
    from newsletter.data.collect import Source

    kinds = ("greenhouse",) if shape == "greenhouse" else ("greenhouse", "lever", "ashby")
    return [Source(ats=kinds[i % len(kinds)], board=f"board{i:05d}", company=f"Company {i}")
            for i in range(n)]  # fmt: skip


def measure(run: tuple[str, int, str, str, int], out: Any) -> None:
    """One run (phase, boards, shape, base URL, concurrency) in a fresh process: the figures
    go back through ``out``."""
    phase, n, shape, base, concurrency = run
    import asyncio
    from datetime import date

    from newsletter.data.collect import collect, fetch_boards
    from newsletter.util.clock import SYSTEM_CLOCK

    with tempfile.TemporaryDirectory(prefix="bench-collect-") as tmp:
        folder = Path(tmp)
        config = _config(folder, base, concurrency)
        sources = _sources(n, shape)
        t0 = time.perf_counter()
        if phase == "fetch":
            (folder / "raw").mkdir()
            boards = asyncio.run(fetch_boards(sources, folder / "raw", config, clock=SYSTEM_CLOCK))
            ok = sum(b.ok for b in boards)
            rows = sum(b.jobs for b in boards)
        else:
            done = collect(config, date(2026, 11, 23), clock=SYSTEM_CLOCK, sources=sources)
            ok = sum(b.status == "ok" for b in done.boards)
            rows = done.report.kept
        wall = time.perf_counter() - t0
        disk = sum(p.stat().st_size for p in folder.rglob("*.gz"))
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        out.put({"ok": ok, "rows": rows, "wall": wall, "peak_mb": peak, "disk_mb": disk / 1e6})


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--boards", type=int, nargs="+", default=[500, 2000])
    parser.add_argument("--jobs", type=int, default=100)
    parser.add_argument("--shape", choices=["greenhouse", "mixed", "both"], default="both")
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    ctx = mp.get_context("spawn")
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    server = ctx.Process(target=serve, args=(sock, args.jobs), daemon=True)
    server.start()
    time.sleep(1.5)  # let uvicorn start listening (a benchmark, not a test)
    shapes = ["greenhouse", "mixed"] if args.shape == "both" else [args.shape]
    print(f"{args.jobs} jobs per board, concurrency {args.concurrency}, one loopback host "
          "(figures are noisy on a shared machine)")  # fmt: skip
    try:
        for shape in shapes:
            # the second shape at the largest size only (make bench stays a few minutes)
            sizes = args.boards if shape == shapes[0] else args.boards[-1:]
            for n in sizes:
                for phase in ("fetch", "collect"):
                    q = ctx.Queue()
                    p = ctx.Process(
                        target=measure, args=((phase, n, shape, base, args.concurrency), q)
                    )
                    p.start()
                    r = q.get(timeout=1800)
                    p.join()
                    print(
                        f"{shape:10} {phase:7} {n:6,} boards: {r['ok']:,} ok, {r['rows']:,} "
                        f"postings, {r['wall']:6.1f} s, {n / r['wall']:6.1f} boards/s, "
                        f"peak RSS {r['peak_mb']:6.0f} MB, raw {r['disk_mb']:6.1f} MB gzip"
                    )
    finally:
        server.terminate()
        server.join(timeout=10)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
