"""An asyncio host: a small HTTP server on 127.0.0.1 runs whole resets through
`asyncio.to_thread` while a `/health` endpoint keeps answering.

200 resets are fired at once and `/health` is pinged all the while from another thread. Its p99
latency under load must stay within a bound set from the latency measured before the load in
the same run. The same load on a server that calls the engine on the event loop itself (what a
host that forgot `to_thread` does) must break that bound: that control shows the load is heavy
enough for the check to catch a blocked loop. The figures are printed (`pytest -s`) and written
to `$SSPR_ASYNC_REPORT` when set.
"""
import asyncio
import json
import os
import statistics
import threading
import time
from typing import Awaitable, Callable, Optional

import pytest

import sspr

T0 = 1_750_000_000
USERS = 200
POLICY = sspr.Policy.from_dict({"reset": {"methods": ["email"], "methods_required": 1}})
# The engine's test parameters for argon2 (m=8 KiB, t=1) would make a reset about 1 ms; these
# (4 MiB, t=2: a few ms) keep the test quick while giving the loop enough work to show a block.
HASH = dict(hash_memory_kib=4096, hash_iterations=2)
# Bounds on the p99 of /health under load: a multiple of the p99 before the load, and never
# tighter than an absolute floor (2 busy cores and the GIL switch interval add milliseconds).
RATIO = 10
FLOOR_S = 0.250


class Codes:
    """The notifier: a Python port, called in the worker thread with the GIL taken back."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.by_user: dict[str, str] = {}

    def deliver(self, message: sspr.Message) -> None:
        if message.kind == "code" and message.code is not None:
            with self.lock:
                self.by_user[message.user] = message.code


def make_engine() -> tuple[sspr.Engine, Codes]:
    mem = sspr.MemoryPorts.for_tests(T0, captcha_token="pass")  # no seed: OS randomness
    codes = Codes()
    engine = sspr.Engine(POLICY, mem.ports(notifier=codes), keys=[("k1", os.urandom(32))],
                         identity_key=os.urandom(32), issuer="Contoso", **HASH)
    for i in range(USERS + 5):
        mem.directory.add_user(sspr.DirectoryUser(f"u{i}", f"user{i}@contoso.example"), "Old-Password-1")
        engine.import_security_info(f"u{i}", email=f"user{i}.home@fabrikam.example")
    return engine, codes


Call = Callable[..., Awaitable[sspr.ResetResult]]


async def whole_reset(call: Call, engine: sspr.Engine, codes: Codes, i: int) -> str:
    """Every step of a reset, each through `call` (to_thread, or on the loop for the control)."""
    r = await call(engine.start_reset, f"user{i}@contoso.example", "pass", "127.0.0.1")
    assert r.view is not None, r.rejection
    flow = r.view.flow_id
    await call(engine.choose, flow, "email")
    with codes.lock:
        code = codes.by_user[f"u{i}"]
    await call(engine.enter_code, flow, code)
    r = await call(engine.new_password, flow, "Quiet-Lantern-Meadow-42")
    return r.view.state if r.view else str(r.rejection)


async def in_thread(fn: Callable[..., sspr.ResetResult], *args: object) -> sspr.ResetResult:
    return await asyncio.to_thread(fn, *args)


async def on_loop(fn: Callable[..., sspr.ResetResult], *args: object) -> sspr.ResetResult:
    return fn(*args)  # blocks the event loop for the whole engine call


class Server:
    """The HTTP server, on its own event loop in its own thread: `GET /health` and
    `GET /reset/<n>` (a whole reset for user n, answered with its final state)."""

    def __init__(self, call: Call) -> None:
        self.call = call
        self.engine, self.codes = make_engine()
        self.port = 0
        self.ready = threading.Event()
        self.loop: Optional[asyncio.AbstractEventLoop] = None
        self.stop: Optional[asyncio.Future[None]] = None
        self.thread = threading.Thread(target=asyncio.run, args=(self.serve(),), daemon=True)

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = await reader.readuntil(b"\r\n\r\n")
            path = request.split(b" ", 2)[1].decode()
            if path == "/health":
                status, body = 200, b"ok"
            elif path.startswith("/reset/"):
                state = await whole_reset(self.call, self.engine, self.codes, int(path.rsplit("/", 1)[1]))
                status, body = 200, json.dumps({"state": state}).encode()
            else:
                status, body = 404, b"not found"
            writer.write(b"HTTP/1.1 %d X\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s"
                         % (status, len(body), body))
            await writer.drain()
        finally:
            writer.close()

    async def serve(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.stop = self.loop.create_future()
        server = await asyncio.start_server(self.handle, "127.0.0.1", 0, backlog=512)
        self.port = server.sockets[0].getsockname()[1]
        self.ready.set()
        async with server:
            await self.stop

    def __enter__(self) -> "Server":
        self.thread.start()
        assert self.ready.wait(10), "the server did not start"
        return self

    def __exit__(self, *exc: object) -> None:
        assert self.loop is not None and self.stop is not None
        self.loop.call_soon_threadsafe(self.stop.set_result, None)
        self.thread.join(30)
        assert not self.thread.is_alive(), "the server did not stop"


async def get(port: int, path: str) -> tuple[float, bytes]:
    """One request on a fresh connection: (seconds taken, body)."""
    start = time.perf_counter()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
    await writer.drain()
    response = await asyncio.wait_for(reader.read(), timeout=120)
    writer.close()
    await writer.wait_closed()
    assert response.startswith(b"HTTP/1.1 200 "), response[:80]
    return time.perf_counter() - start, response.split(b"\r\n\r\n", 1)[1]


def p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def measure(port: int) -> dict[str, object]:
    # Warm up both endpoints (first connections, first argon2 allocation).
    for i in range(3):
        await get(port, "/health")
        await get(port, f"/reset/{USERS + i}")
    before = []
    for _ in range(60):
        before.append((await get(port, "/health"))[0])
        await asyncio.sleep(0.005)

    during: list[float] = []
    done = asyncio.Event()

    async def pinger() -> None:
        for _ in range(5000):  # bounded: the load ends long before
            if done.is_set():
                return
            during.append((await get(port, "/health"))[0])
            await asyncio.sleep(0.005)

    ping = asyncio.create_task(pinger())
    await asyncio.sleep(0.02)
    start = time.perf_counter()
    results = await asyncio.gather(*(get(port, f"/reset/{i}") for i in range(USERS)))
    load_s = time.perf_counter() - start
    done.set()
    await ping
    states = [json.loads(body)["state"] for _, body in results]
    return {
        "states": states,
        "load_s": load_s,
        "before_p50_ms": 1000 * statistics.median(before),
        "before_p99_ms": 1000 * p(before, 0.99),
        "during_n": len(during),
        "during_p50_ms": 1000 * statistics.median(during),
        "during_p99_ms": 1000 * p(during, 0.99),
        "during_max_ms": 1000 * max(during),
        "reset_p50_ms": 1000 * statistics.median(t for t, _ in results),
        "reset_p99_ms": 1000 * p([t for t, _ in results], 0.99),
    }


def run_load(call: Call) -> dict[str, object]:
    with Server(call) as server:
        figures = asyncio.run(measure(server.port))
    assert figures["states"] == ["completed"] * USERS
    figures["bound_ms"] = max(RATIO * figures["before_p99_ms"], 1000 * FLOOR_S)
    del figures["states"]
    return figures


def report(mode: str, figures: dict[str, object]) -> None:
    line = f"async {mode}: " + ", ".join(
        f"{k}={v:.1f}" if isinstance(v, float) else f"{k}={v}" for k, v in figures.items()
    )
    print("\n" + line)
    path = os.environ.get("SSPR_ASYNC_REPORT")
    if path:
        with open(path, "a", encoding="utf-8") as f:
            f.write(line + "\n")


def test_health_stays_fast_while_200_resets_run_in_threads():
    figures = run_load(in_thread)
    report("to_thread", figures)
    assert figures["during_n"] >= 10, "too few health checks landed during the load to judge"
    assert figures["during_p99_ms"] <= figures["bound_ms"], figures


def test_the_same_load_on_the_event_loop_breaks_the_bound():
    figures = run_load(on_loop)
    report("on the loop (control)", figures)
    assert figures["during_p99_ms"] > figures["bound_ms"], (
        "a blocked loop stayed within the bound: the load is too light to catch one", figures)
