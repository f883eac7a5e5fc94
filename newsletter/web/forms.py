"""Request bodies read under a size cap while they stream, and forms decoded strictly.

Starlette's own form parser replaces invalid UTF-8 with U+FFFD and reads bodies of any size;
the pages here take only small ``application/x-www-form-urlencoded`` forms, so they read
them with :func:`read_form`: at most :data:`FORM_MAX_BYTES`, at most :data:`FORM_MAX_FIELDS`
fields, UTF-8 or refused (400). :func:`read_body` is the capped reader the webhooks use too.
"""

from __future__ import annotations

import urllib.parse

from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request

#: Largest form body a page accepts (the sign-up and preferences forms are far smaller).
FORM_MAX_BYTES = 64 * 1024
#: Most fields in one form.
FORM_MAX_FIELDS = 200
FORM_TYPE = "application/x-www-form-urlencoded"


class RequestRefusedError(Exception):
    """A request body refused before or while it was read: HTTP status and a reason."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


async def read_body(request: Request, limit: int) -> bytes:
    """The body, or RequestRefusedError(413) as soon as it announces or reaches more than ``limit``
    bytes (counted while streaming: chunked bodies carry no Content-Length)."""
    length = request.headers.get("content-length")
    if length is not None:
        if not length.strip().isdigit():
            raise RequestRefusedError(400, "the Content-Length header is not a number")
        if int(length) > limit:
            raise RequestRefusedError(413, f"the body is larger than {limit:,} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise RequestRefusedError(413, f"the body is larger than {limit:,} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


async def read_form(request: Request, limit: int = FORM_MAX_BYTES) -> FormData:
    """A URL-encoded form whose bytes and percent-escapes are all valid UTF-8 (an empty
    body without a Content-Type is an empty form)."""
    ctype = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if ctype not in (FORM_TYPE, ""):
        raise RequestRefusedError(415, f"the form must be sent as {FORM_TYPE}")
    body = await read_body(request, limit)
    if ctype == "" and body:
        raise RequestRefusedError(415, f"the form must be sent as {FORM_TYPE}")
    try:
        pairs: list[tuple[str, str | UploadFile]] = []
        pairs += urllib.parse.parse_qsl(
            body.decode("utf-8"),
            keep_blank_values=True,
            encoding="utf-8",
            errors="strict",
            max_num_fields=FORM_MAX_FIELDS,
        )
    except UnicodeDecodeError:
        raise RequestRefusedError(400, "the form holds text that is not valid UTF-8") from None
    except ValueError:
        raise RequestRefusedError(413, f"the form has more than {FORM_MAX_FIELDS} fields") from None
    return FormData(pairs)
