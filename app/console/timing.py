"""Server-Timing on the console's pages, for signed-in reviewers: how long the service took.

`app` is the wall time from the request reaching the console's routes to its answer's first
byte, `cpu` the process's CPU time over the same span (exact when requests come one at a time,
as `python -m bench.service console` sends them). Only a signed-in coordinator or admin gets
it: before sign-in, a precise time could help guess which logins exist.
"""

import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.console.errors import PREFIX


class ServerTiming:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if not (path == PREFIX or path.startswith(PREFIX + "/")):
            await self.app(scope, receive, send)
            return
        started, cpu = time.perf_counter(), time.process_time()

        async def send_timed(message: Message) -> None:
            if message["type"] == "http.response.start" and scope.get("state", {}).get("principal"):
                wall_ms = (time.perf_counter() - started) * 1000
                cpu_ms = (time.process_time() - cpu) * 1000
                message["headers"] = [
                    *message.get("headers", []),
                    (b"server-timing", f"app;dur={wall_ms:.1f}, cpu;dur={cpu_ms:.1f}".encode()),
                ]
            await send(message)

        await self.app(scope, receive, send_timed)
