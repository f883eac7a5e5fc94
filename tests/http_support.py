"""A real uvicorn server on a free loopback port, in a thread (tests and benchmarks)."""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

import uvicorn


def start_uvicorn(
    asgi_app: Any, log_level: str = "warning"
) -> tuple[uvicorn.Server, threading.Thread, str]:
    """Start ``asgi_app`` under uvicorn; the server, its thread and its base URL.

    Stop it with ``server.should_exit = True`` and ``thread.join()``."""
    # IPPROTO_TCP: asyncio turns Nagle off only on sockets that say TCP; without it every
    # response body waits ~40 ms for the delayed ACK of its headers
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(asgi_app, log_level=log_level, lifespan="off", access_log=False)
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    for _ in range(500):  # a hang guard while the server starts, not a timing
        if server.started:
            break
        time.sleep(0.01)
    assert server.started, "uvicorn did not start"
    return server, thread, f"http://127.0.0.1:{port}"
