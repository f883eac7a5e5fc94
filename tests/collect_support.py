"""A local stand-in for the public job-board APIs, shaped like each documented answer.

:class:`FakeBoards` holds boards per ATS kind and serves them with Starlette (run it with
the ``serve_app`` fixture): Greenhouse ``/gh``, Lever ``/lever`` (``skip``/``limit``), Ashby
``/ashby``, SmartRecruiters ``/sr`` (``offset``/``limit``), Workable ``/workable`` (POST,
``nextPage`` token), Recruitee ``/recruitee/{board}``, plain files ``/files``. Unknown boards
answer 404 as the real APIs do. Faults are queued per board and used once each, in order:
``429:SECONDS`` (Retry-After), ``503``, ``410``, ``truncate`` (Content-Length larger than
the body), ``garbage`` (a 200 that is not JSON), ``slow:SECONDS`` (answers after a wait),
``hold`` (answers once ``release`` is set), ``latin1`` (a Greenhouse answer whose ``é`` is
one Latin-1 byte: not UTF-8), ``bignum`` (a Greenhouse answer with one more posting holding
a number of 5,000 digits), ``bomb`` (64 MiB of zeros, gzip-compressed), ``badgzip`` (a body
said to be gzip that is not), ``gzip`` and ``deflate`` (a Recruitee answer compressed),
``gzip-tail`` (that answer gzipped, then 8 MiB past its end, with no Content-Length),
``loop`` (a 302 back to the same address) and ``redirect:URL`` (a 302 to ``URL``, the
request's query string kept).
Quirks are kept per board for every answer: SmartRecruiters ``total-as-text``
(``"totalFound": "150"``), ``total-of-5000-digits`` (a string of digits no int takes)
and ``no-total``, Workable ``token-as-number`` (``"nextPage": 10``)
and ``token-as-object``; Lever ``ignores-skip`` and SmartRecruiters ``ignores-offset``
(every page is the first).
"""

from __future__ import annotations

import asyncio
import gzip
import json
import threading
import zlib
from collections import defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from newsletter.config import Config, parse_config

LEVER_PAGE = 100
WORKABLE_PAGE = 10


def greenhouse_job(i: int, board: str = "acme", **over: Any) -> dict[str, Any]:
    job = {
        "absolute_url": f"https://job-boards.greenhouse.io/{board}/jobs/{4000000 + i}",
        "data_compliance": [{"type": "gdpr", "requires_consent": False}],
        "internal_job_id": 3000000 + i,
        "location": {"name": "San Francisco, CA"},
        "metadata": None,
        "id": 4000000 + i,
        "updated_at": "2026-11-20T10:15:00-05:00",
        "requisition_id": f"REQ-{i}",
        "title": f"Machine Learning Engineer {i}",
        "company_name": "Acme AI Inc.",
        "first_published": "2026-11-10T09:00:00-05:00",
        "language": "en",
        "content": "&lt;p&gt;Train models with &lt;strong&gt;PyTorch&lt;/strong&gt;.&lt;/p&gt;",
        "departments": [{"id": 7, "name": "Research", "child_ids": [], "parent_id": None}],
        "offices": [{"id": 9, "name": "SF", "location": "San Francisco, CA"}],
    }
    job.update(over)
    return job


def lever_posting(i: int, board: str = "widget", **over: Any) -> dict[str, Any]:
    pid = f"5a1b2c3d-0000-4000-8000-{i:012d}"
    post = {
        "id": pid,
        "text": f"Data Scientist {i}",
        "hostedUrl": f"https://jobs.lever.co/{board}/{pid}",
        "applyUrl": f"https://jobs.lever.co/{board}/{pid}/apply",
        "createdAt": 1763650000000,
        "categories": {
            "commitment": "Full-time",
            "location": "New York, NY",
            "team": "Data",
            "allLocations": ["New York, NY"],
        },
        "country": "US",
        "workplaceType": "hybrid",
        "descriptionPlain": "SQL and Python for experiments.",
        "description": "<div>SQL and Python for experiments.</div>",
        "lists": [{"text": "You have", "content": "<li>Statistics</li>"}],
        "additionalPlain": "",
    }
    post.update(over)
    return post


def ashby_job(i: int, board: str = "orbit", **over: Any) -> dict[str, Any]:
    jid = f"0b8c1e2f-0000-4000-9000-{i:012d}"
    job = {
        "id": jid,
        "title": f"Research Engineer {i}",
        "department": "Research",
        "team": "Inference",
        "employmentType": "FullTime",
        "location": "Seattle, WA",
        "secondaryLocations": [],
        "isRemote": False,
        "workplaceType": "OnSite",
        "publishedAt": "2026-11-12T17:00:00.000+00:00",
        "isListed": True,
        "jobUrl": f"https://jobs.ashbyhq.com/{board}/{jid}",
        "applyUrl": f"https://jobs.ashbyhq.com/{board}/{jid}/application",
        "descriptionHtml": "<p>Serve LLMs with vLLM.</p>",
        "descriptionPlain": "Serve LLMs with vLLM.",
        "shouldDisplayCompensationOnJobPostings": True,
        "compensation": {
            "compensationTierSummary": "$180K – $240K • Offers Equity",
            "scrapeableCompensationSalarySummary": "$180K - $240K",
            "compensationTiers": [],
            "summaryComponents": [
                {
                    "id": "c1",
                    "summary": "$180K – $240K",
                    "compensationType": "Salary",
                    "interval": "1 YEAR",
                    "currencyCode": "USD",
                    "minValue": 180000,
                    "maxValue": 240000,
                }
            ],
        },
    }
    job.update(over)
    return job


def smartrecruiters_posting(i: int, board: str = "bigco", **over: Any) -> dict[str, Any]:
    post = {
        "id": f"74400{i:05d}",
        "name": f"Applied Scientist {i}",
        "uuid": f"uuid-{i}",
        "refNumber": f"REF{i}",
        "company": {"identifier": board, "name": "BigCo"},
        "releasedDate": "2026-11-14T08:00:00.000Z",
        "location": {
            "city": "Austin",
            "region": "TX",
            "country": "us",
            "remote": False,
            "fullLocation": "Austin, TX, United States",
        },
        "industry": {"id": "it", "label": "Information Technology"},
        "department": {"label": "AI"},
        "typeOfEmployment": {"label": "Full-time"},
        "experienceLevel": {"id": "mid_senior_level", "label": "Mid-Senior Level"},
    }
    post.update(over)
    return post


def workable_job(i: int, **over: Any) -> dict[str, Any]:
    job = {
        "id": 900000 + i,
        "shortcode": f"A1B2C{i:04d}",
        "title": f"AI Engineer {i}",
        "remote": True,
        "location": {
            "country": "Germany",
            "countryCode": "DE",
            "city": "Berlin",
            "region": "Berlin",
        },
        "locations": [],
        "state": "published",
        "isInternal": False,
        "published": "2026-11-16T00:00:00.000Z",
        "type": "full",
        "language": "en",
        "department": ["Engineering"],
        "workplace": "remote",
    }
    job.update(over)
    return job


def recruitee_offer(i: int, board: str = "smallco", **over: Any) -> dict[str, Any]:
    offer = {
        "id": 1200000 + i,
        "slug": f"ml-ops-{i}",
        "title": f"MLOps Engineer {i}",
        "description": "<p>Kubernetes and MLflow.</p>",
        "requirements": "<ul><li>Docker</li></ul>",
        "location": "Amsterdam, Netherlands",
        "city": "Amsterdam",
        "country": "Netherlands",
        "country_code": "NL",
        "remote": False,
        "hybrid": True,
        "on_site": False,
        "careers_url": f"https://{board}.recruitee.com/o/ml-ops-{i}",
        "published_at": "2026-11-15 10:00:00 UTC",
        "status": "published",
        "company_name": "SmallCo",
        "employment_type_code": "fulltime",
    }
    offer.update(over)
    return offer


@dataclass
class FakeBoards:
    """Boards per ATS kind, their queued faults, and a log of the requests received."""

    boards: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)
    faults: defaultdict[tuple[str, str], list[str]] = field(
        default_factory=lambda: defaultdict(list)
    )
    files: dict[str, bytes] = field(default_factory=dict)
    quirks: dict[tuple[str, str], str] = field(default_factory=dict)
    log: list[tuple[str, str, dict[str, str], str]] = field(default_factory=list)
    #: The ``hold`` fault: set when its request arrives, then answered once ``release`` is.
    held: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)

    def add(self, kind: str, board: str, jobs: list[dict[str, Any]], *faults: str) -> None:
        self.boards[(kind, board)] = jobs
        self.faults[(kind, board)] = list(faults)

    async def _fault(self, kind: str, board: str, request: Request) -> Response | None:
        queue = self.faults.get((kind, board))
        if not queue:
            return None
        fault = queue.pop(0)
        name, _, arg = fault.partition(":")
        if name == "429":
            return Response("slow down", 429, headers={"Retry-After": arg or "7"})
        if name in ("503", "410", "408"):
            said = {"503": "unavailable", "410": "gone", "408": "request timeout"}[name]
            return Response(said, int(name))
        if name == "garbage":
            return Response("<html>maintenance</html>", 200, media_type="application/json")
        if name == "slow":  # answers after the wait, unless the client hung up first
            for _ in range(int(float(arg or "1") / 0.05)):
                await asyncio.sleep(0.05)
                if await request.is_disconnected():
                    return Response("", 499)
            return None
        if name == "hold":  # answers normally once the test releases it
            self.held.set()
            assert await asyncio.to_thread(self.release.wait, 60), "never released"
            return None
        if name == "truncate":
            return _Truncated()
        if name == "latin1":  # the board's answer with its "é" as one Latin-1 byte
            body = json.dumps({"jobs": self.boards[(kind, board)]}, ensure_ascii=False)
            return Response(body.encode().replace("é".encode(), b"\xe9"), 200)
        if name == "bomb":  # 64 MiB of zeros gzip-compressed to some 64 KiB
            return Response(_BOMB, 200, headers={"Content-Encoding": "gzip"})
        if name in ("gzip", "deflate"):  # the board's answer, compressed as many servers do
            offers = json.dumps({"offers": self.boards[(kind, board)]}).encode()
            packed = gzip.compress(offers) if name == "gzip" else zlib.compress(offers)
            return Response(packed, 200, headers={"Content-Encoding": name})
        if name == "gzip-tail":  # the answer gzipped, then 8 MiB more after its end, unsized
            packed = gzip.compress(json.dumps({"offers": self.boards[(kind, board)]}).encode())

            async def tail() -> AsyncIterator[bytes]:
                yield packed
                for _ in range(128):
                    yield bytes(64 * 1024)

            return StreamingResponse(tail(), 200, headers={"Content-Encoding": "gzip"})
        if name == "gzip-cut":  # the answer gzipped, its last third lost, the HTTP framing whole
            plain = (
                self.files[board]
                if kind == "files"
                else json.dumps({"offers": self.boards[(kind, board)]}).encode()
            )
            packed = gzip.compress(plain)

            async def cut() -> AsyncIterator[bytes]:
                yield packed[: len(packed) * 2 // 3]

            return StreamingResponse(cut(), 200, headers={"Content-Encoding": "gzip"})
        if name == "loop":  # a redirect back to where it came from
            return Response("", 302, headers={"Location": str(request.url)})
        if name == "redirect":  # elsewhere, the same query
            query = f"?{request.url.query}" if request.url.query else ""
            return Response("", 302, headers={"Location": arg + query})
        if name == "badgzip":  # says gzip, is not
            return Response(b"not gzip at all", 200, headers={"Content-Encoding": "gzip"})
        if name == "bignum":  # the board's answer with a number of 5,000 digits in one posting
            body = json.dumps({"jobs": [*self.boards[(kind, board)], {"x": "BIG"}]})
            big = b'{"id": 77, "title": "Big Data Engineer", "internal_job_id": ' + b"9" * 5000
            return Response(body.encode().replace(b'{"x": "BIG"}', big + b"}"), 200)
        if name == "cycle":  # Workable paging whose tokens go a -> b -> a -> ...
            token = json.loads(await request.body() or b"{}").get("token")
            job = workable_job({"a": 1, "b": 2}.get(token, 0))  # each page its own posting
            return JSONResponse(
                {"total": 9, "results": [job], "nextPage": "b" if token == "a" else "a"}
            )
        raise AssertionError(f"unknown fault {fault}")

    async def _serve(self, request: Request, kind: str, body: Any = None) -> Response:
        board = request.path_params["board"]
        self.log.append(
            (kind, board, dict(request.query_params), request.headers.get("user-agent", ""))
        )
        fault = await self._fault(kind, board, request)
        if fault is not None:
            return fault
        jobs = self.boards.get((kind, board))
        if jobs is None:
            if kind == "lever":
                return JSONResponse({"ok": False, "error": "Document not found"}, 404)
            return JSONResponse({"error": "not found"}, 404)
        q = request.query_params
        quirk = self.quirks.get((kind, board))
        if kind == "greenhouse":
            total = len(jobs) + (5 if quirk == "total-over" else 0)  # 5 left out of the answer
            return JSONResponse({"jobs": jobs, "meta": {"total": total}})
        if kind == "lever":
            skip, limit = int(q.get("skip", 0)), int(q.get("limit", LEVER_PAGE))
            if quirk == "ignores-skip":  # a mirror that answers the first page every time
                skip = 0
            return JSONResponse(jobs[skip : skip + limit])
        if kind == "ashby":
            assert q.get("includeCompensation") == "true"
            return JSONResponse({"jobs": jobs, "apiVersion": "1"})
        if kind == "smartrecruiters":
            off, limit = int(q.get("offset", 0)), min(int(q.get("limit", 10)), 100)
            page = jobs[0:limit] if quirk == "ignores-offset" else jobs[off : off + limit]
            sr: dict[str, Any] = {
                "offset": off,
                "limit": limit,
                "totalFound": {
                    "total-as-text": str(len(jobs)),
                    "total-of-5000-digits": "9" * 5000,
                }.get(quirk or "", len(jobs)),
                "content": page,
            }
            if quirk == "no-total":
                del sr["totalFound"]
            return JSONResponse(sr)
        if kind == "workable":
            start = int(body.get("token") or 0) if isinstance(body, dict) else 0
            page = jobs[start : start + WORKABLE_PAGE]
            out: dict[str, Any] = {"total": len(jobs), "results": page}
            if start + WORKABLE_PAGE < len(jobs):
                nxt = start + WORKABLE_PAGE
                out["nextPage"] = {
                    "token-as-number": nxt,
                    "token-as-object": {"page": nxt},
                }.get(quirk or "", str(nxt))
            return JSONResponse(out)
        if kind == "recruitee":
            return JSONResponse({"offers": jobs})
        raise AssertionError(kind)

    def app(self) -> Starlette:
        async def gh(r: Request) -> Response:
            return await self._serve(r, "greenhouse")

        async def lever(r: Request) -> Response:
            return await self._serve(r, "lever")

        async def ashby(r: Request) -> Response:
            return await self._serve(r, "ashby")

        async def sr(r: Request) -> Response:
            return await self._serve(r, "smartrecruiters")

        async def workable(r: Request) -> Response:
            return await self._serve(r, "workable", json.loads(await r.body() or b"{}"))

        async def recruitee(r: Request) -> Response:
            return await self._serve(r, "recruitee")

        async def files(r: Request) -> Response:
            name = r.path_params["board"]
            fault = await self._fault("files", name, r)
            if fault is not None:
                return fault
            if name not in self.files:
                return Response("no", 404)
            return Response(self.files[name], media_type="text/csv")

        return Starlette(
            routes=[
                Route("/gh/v1/boards/{board}/jobs", gh),
                Route("/lever/v0/postings/{board}", lever),
                Route("/ashby/posting-api/job-board/{board}", ashby),
                Route("/sr/v1/companies/{board}/postings", sr),
                Route("/workable/api/v3/accounts/{board}/jobs", workable, methods=["POST"]),
                Route("/recruitee/{board}/api/offers/", recruitee),
                Route("/files/{board}", files),
            ]
        )


_BOMB = gzip.compress(bytes(64 * 1024 * 1024), compresslevel=9, mtime=0)


class _Truncated(Response):
    """Promises 10,000 bytes, sends 20, and closes: a body cut off in transit."""

    def __init__(self) -> None:
        super().__init__(b'{"jobs": [{"id": 1, ', 200, media_type="application/json")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", b"10000")],
            }
        )
        await send({"type": "http.response.body", "body": self.body, "more_body": False})


def collect_config(tmp_path: Path, base: str, **collect: Any) -> Config:
    """A config whose boards all live at ``base`` (the fake server), with no rate limit.

    The timeouts are generous: on a loaded machine a loopback answer can take seconds, and a
    timed-out page is retried, which would show as a second request in the paging checks.
    Tests of timeouts set their own."""
    settings: dict[str, Any] = {
        "sources": str(tmp_path / "sources.toml"),
        "contact": "ops@example.com",
        "per_host_rate": 0,
        "per_host_concurrency": 4,
        "connect_timeout_seconds": 20,
        "read_timeout_seconds": 30,
        "total_timeout_seconds": 120,
        "max_attempts": 3,
        "greenhouse": {"base_url": f"{base}/gh"},
        "lever": {"base_url": f"{base}/lever"},
        "ashby": {"base_url": f"{base}/ashby"},
        "smartrecruiters": {"base_url": f"{base}/sr"},
        "workable": {"base_url": f"{base}/workable"},
        "recruitee": {"base_url": f"{base}/recruitee/{{board}}"},
    }
    settings.update(collect)
    return parse_config(
        {
            "data": {
                "snapshots_dir": str(tmp_path / "snapshots"),
                "state_dir": str(tmp_path),
                "rules_dir": str(Path(__file__).resolve().parent.parent / "rules"),
            },
            "database": {"url": f"sqlite:///{tmp_path / 'newsletter.db'}"},
            "delivery": {"outbox_dir": str(tmp_path / "outbox")},
            "collect": settings,
        }
    )
