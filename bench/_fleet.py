"""The alert-latency benchmark's clients (bench/alert_latency.py): the command post's screens
as N WebSockets in one event loop (`Fleet`), the report filer (`Poster`), and what is in flight
between them (`Flight`)."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import http.client
import json
import re
import statistics
import threading
import time
import urllib.parse
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import redis
import websockets
from websockets.asyncio.client import connect as ws_connect

from bench._stack import percentile

WIB = dt.timezone(dt.timedelta(hours=7))
SUBJECT = "Rencana penyerbuan kantor KPU"
TEXT = (
    "Sekitar {crowd} orang membawa senjata tajam dan bom molotov bergerak menyerbu kantor KPU "
    "sekarang untuk membakar kotak suara."
)
# Each report names its own crowd size (300 + its number), and the engine quotes it among the
# reasons, which the report alert carries: that tells which report an event is about.
CROWD_BASE = 300
ARRIVAL_TIMEOUT = 10.0  # s after the POST: later than this, the event counts as never arrived
MATCH_WINDOW = 30.0  # s after the POST an event is still matched (to say how late the late are)
MARKER = re.compile(r"skala: sekitar ([\d.]+) orang")


@dataclass
class Flight:
    """Something sent that every client should see: a report (keyed by the crowd size it names,
    which its alert event quotes) or a probe of a floor (keyed by its sequence number)."""

    key: str
    due: float = 0.0  # perf_counter the schedule wanted it sent at
    measured: bool = True
    sent: float | None = None  # perf_counter just before the request (or publish) is written
    sent_wall: float = 0.0  # time.time() at the same moment, to compare with the database
    answered: float | None = None  # perf_counter when the POST's response was read
    status: int | str | None = None
    report_id: int | None = None
    arrivals: dict[int, float] = field(default_factory=dict)  # client -> perf_counter
    event: dict | None = None  # the first event that matched
    done: asyncio.Event = field(default_factory=asyncio.Event)  # at every open client

    def first(self) -> float | None:
        return min(self.arrivals.values()) - self.sent if self.arrivals else None

    def median(self) -> float | None:
        return statistics.median(self.arrivals.values()) - self.sent if self.arrivals else None

    def last(self) -> float | None:
        return max(self.arrivals.values()) - self.sent if self.arrivals else None


def report_key(alert: dict) -> str | None:
    """`rep:<crowd>` of the report behind a report alert's event, from the reasons it quotes."""
    for reason in alert.get("reasons") or ():
        found = MARKER.search(str(reason))
        if found:
            return f"rep:{int(found.group(1).replace('.', ''))}"
    return None


class Fleet:
    """The command post's screens: N WebSockets in one event loop, and what is in flight to
    them. An event is matched by its key to a flight sent before it arrived; a flight is done
    when every open client has it (or MATCH_WINDOW after it was sent)."""

    def __init__(self, url: str, headers: dict[str, str], size: int) -> None:
        self.url = url
        self.headers = headers
        self.size = size
        self.conns: list = []
        self.readers: list[asyncio.Task] = []
        self.inflight: dict[str, Flight] = {}  # key -> flight, until every client has it
        self.pongs: dict[int, asyncio.Future] = {}
        self.received: Counter[int] = Counter()  # client -> events received
        self.other: Counter[str] = Counter()  # events that are not a report alert nor a probe
        self.unmatched: Counter[str] = Counter()  # report/probe events matching no flight
        self.live = 0
        self.seq = 0

    async def connect(self, parallel: int = 20) -> None:
        gate = asyncio.Semaphore(parallel)

        async def one():
            async with gate:
                return await ws_connect(
                    self.url,
                    additional_headers=self.headers,
                    ping_interval=None,  # the server pings; no extra traffic of our own
                    open_timeout=30,
                    max_queue=None,
                )

        self.conns = list(await asyncio.gather(*(one() for _ in range(self.size))))
        self.live = len(self.conns)
        self.readers = [asyncio.create_task(self.read(i, ws)) for i, ws in enumerate(self.conns)]

    async def read(self, i: int, ws) -> None:
        try:
            async for raw in ws:
                self.dispatch(i, time.perf_counter(), raw)
        except websockets.ConnectionClosed:
            pass
        finally:
            self.live -= 1
            for flight in list(self.inflight.values()):
                self.check(flight)

    def dispatch(self, i: int, at: float, raw: str | bytes) -> None:
        msg = json.loads(raw)
        kind = msg.get("type")
        if kind == "pong":
            fut = self.pongs.pop(i, None)
            if fut is not None and not fut.done():
                fut.set_result(at)
            return
        self.received[i] += 1
        alert = msg.get("alert")
        key = None
        if kind == "bench.probe":
            key = f"probe:{msg.get('seq')}"
        elif isinstance(alert, dict) and alert.get("kind") == "report":
            key = report_key(alert)
        if key is None:
            label = f"{kind} ({alert.get('kind')})" if isinstance(alert, dict) else str(kind)
            self.other[label] += 1
            return
        flight = self.inflight.get(key)
        if flight is None or flight.sent is None or at < flight.sent or i in flight.arrivals:
            self.unmatched[kind] += 1
            return
        flight.arrivals[i] = at
        if flight.event is None:
            flight.event = msg
        self.check(flight)

    def check(self, flight: Flight) -> None:
        if len(flight.arrivals) >= self.live:
            flight.done.set()

    def start(self, key: str, **kwargs) -> Flight:
        flight = Flight(key=key, **kwargs)
        self.inflight[key] = flight
        return flight

    async def finish(self, flight: Flight, timeout: float = MATCH_WINDOW) -> None:
        """Stop matching it once every client has it, or `timeout` after it was sent."""
        deadline = (flight.sent or time.perf_counter()) + timeout
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(flight.done.wait(), max(deadline - time.perf_counter(), 0.0))
        self.inflight.pop(flight.key, None)

    def probe(self) -> tuple[Flight, dict]:
        self.seq += 1
        return self.start(f"probe:{self.seq}"), {"type": "bench.probe", "seq": self.seq}

    async def ping_all(self, timeout: float = 10.0) -> list[float]:
        """Every client sends {"type": "ping"}; the round trips of the pongs that came back."""
        loop = asyncio.get_running_loop()
        sent = {}
        for i, ws in enumerate(self.conns):
            self.pongs[i] = loop.create_future()
            sent[i] = time.perf_counter()
            await ws.send('{"type": "ping"}')
        futs = dict(self.pongs)
        await asyncio.wait(futs.values(), timeout=timeout)
        return [f.result() - sent[i] for i, f in futs.items() if f.done() and not f.cancelled()]

    async def close(self) -> None:
        await asyncio.wait([asyncio.create_task(ws.close()) for ws in self.conns], timeout=10)
        for task in self.readers:
            task.cancel()


class Poster:
    """POST /api/v1/intel/ from a thread pool, one keep-alive connection per thread (the loop
    thread keeps reading the WebSockets meanwhile)."""

    def __init__(self, url: str, token: str, threads: int = 32) -> None:
        parsed = urllib.parse.urlsplit(url)
        self.host, self.port = parsed.hostname, parsed.port
        self.token = token
        self.pool = ThreadPoolExecutor(threads, thread_name_prefix="post")
        self.local = threading.local()

    def report(self, fleet: Fleet, kelurahan: str, n: int, **kwargs) -> tuple[Flight, bytes]:
        """The `n`th report (0, 1, ...): its flight, in flight from now on, and its body."""
        return fleet.start(f"rep:{CROWD_BASE + n}", **kwargs), self.body(kelurahan, n)

    def body(self, kelurahan: str, n: int) -> bytes:
        return json.dumps(
            {
                "subject": f"{SUBJECT} ({n})",
                "field": "keamanan",
                "source": "Informan bench",
                "obtained_how": "wawancara",
                "obtained_at": dt.datetime.now(WIB).isoformat(timespec="seconds"),
                "source_reliability": "A",
                "info_credibility": 1,
                "what": TEXT.format(crowd=CROWD_BASE + n),
                "kelurahan": kelurahan,
            }
        ).encode()

    def post(self, flight: Flight, body: bytes) -> None:
        conn = getattr(self.local, "conn", None)
        if conn is None:
            conn = self.local.conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        headers = {"Content-Type": "application/json", "Authorization": f"Token {self.token}"}
        flight.sent_wall = time.time()
        flight.sent = time.perf_counter()
        try:
            conn.request("POST", "/api/v1/intel/", body=body, headers=headers)
            resp = conn.getresponse()
            raw = resp.read()
            flight.status = resp.status
            if resp.status == 201:
                flight.report_id = json.loads(raw)["id"]
            else:
                flight.event = {"error": raw[:300].decode(errors="replace")}
        except (OSError, http.client.HTTPException) as exc:
            flight.status = type(exc).__name__
            conn.close()
            self.local.conn = None
        flight.answered = time.perf_counter()

    async def send(self, fleet: Fleet, flight: Flight, body: bytes) -> None:
        await asyncio.get_running_loop().run_in_executor(self.pool, self.post, flight, body)
        if flight.status != 201:
            flight.done.set()  # nothing will come
        await fleet.finish(flight)

    def close(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)


def http_json(url: str, method: str, path: str, body=None, headers=None) -> tuple[int, dict]:
    parsed = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=30)
    try:
        payload = json.dumps(body).encode() if body is not None else None
        conn.request(
            method,
            path,
            body=payload,
            headers={"Content-Type": "application/json", **(headers or {})},
        )
        resp = conn.getresponse()
        raw = resp.read()
        return resp.status, (json.loads(raw) if raw else {})
    finally:
        conn.close()


def ms(values: list[float], points=(50, 90, 99)) -> str:
    """`p50 1.2  p90 3.4  p99 5.6  max 7.8` in milliseconds, from values in seconds."""
    ordered = sorted(values)
    if not ordered:
        return "no samples"
    parts = [f"p{p:g} {percentile(ordered, p) * 1000:.1f}" for p in points]
    return "  ".join([*parts, f"max {ordered[-1] * 1000:.1f}"]) + " ms"


def redis_floor(url: str, samples: int, warm: int = 10) -> list[float]:
    """PUBLISH on one connection to a subscriber on another, one message at a time."""
    pub = redis.Redis.from_url(url)
    sub = redis.Redis.from_url(url).pubsub(ignore_subscribe_messages=True)
    channel = f"bench-floor-{uuid.uuid4().hex}"
    sub.subscribe(channel)
    sub.get_message(timeout=1.0)  # the subscription's confirmation
    out = []
    try:
        for i in range(warm + samples):
            payload = str(i).encode()
            t0 = time.perf_counter()
            pub.publish(channel, payload)
            while True:
                msg = sub.get_message(timeout=2.0)
                if msg is None:
                    raise RuntimeError("Redis floor: a published message never came back")
                if msg["data"] == payload:
                    break
            if i >= warm:
                out.append(time.perf_counter() - t0)
    finally:
        sub.close()
        pub.close()
    return out


async def probe_floor(fleet: Fleet, send, samples: int, warm: int = 10) -> list[Flight]:
    """Probes one at a time, each awaited at every client: `send(event)` pushes one."""
    out = []
    for i in range(warm + samples):
        flight, event = fleet.probe()
        flight.sent = time.perf_counter()
        await send(event)
        await fleet.finish(flight, timeout=5.0)
        if i >= warm:
            out.append(flight)
        await asyncio.sleep(0.005)
    return out
