"""The ISO 8583 authorization server: asyncio for the sockets, a fixed pool of worker
threads for the decisions (the ORM is synchronous).

* Framing: a 2-byte big-endian length header, then the message (codec). A zero-length
  frame is a keep-alive and is ignored. An acquirer may send many requests on one
  connection without waiting (answers are matched on DE 11/37/41): each message is decided
  as it comes, up to CARDS_ISO_INFLIGHT at a time per connection, and answered as soon as
  it is decided.
* Database connections: each worker thread keeps its own Django connection between
  messages, for CARDS_ISO_CONN_MAX_AGE seconds, checked before each message (Django's
  `close_old_connections`, as at the start and end of a request) and closed when the thread
  stops. With a psycopg pool (DB_POOL_MAX_SIZE > 0) Django's CONN_MAX_AGE stays 0 and a
  connection goes back to the pool after each message.
* Nothing a client sends stops the server: a message that cannot be read is answered 30 when
  its MTI can be read, or dropped; a connection that breaks ends alone. Log lines carry the
  masked facts only (never a PAN: codec.loggable).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator

from django.conf import settings
from django.db import close_old_connections, connections

from apps.cards.iso import codec
from apps.cards.iso.handler import Outcome, handle

logger = logging.getLogger("apps.cards.iso")


class WorkerPool:
    """N threads, each with its own database connection, running `handle`."""

    def __init__(self, size: int, *, conn_max_age: int | None) -> None:
        self.size = size
        self.conn_max_age = conn_max_age
        self.jobs: queue.SimpleQueue = queue.SimpleQueue()
        self.threads = [
            threading.Thread(target=self._run, name=f"card-auth-{n}", daemon=True)
            for n in range(size)
        ]

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def _run(self) -> None:
        connection = connections["default"]
        if self.conn_max_age is not None and not connection.settings_dict.get("OPTIONS", {}).get(
            "pool"
        ):
            # This thread's own copy: the process's other connections keep their settings.
            connection.settings_dict = {
                **connection.settings_dict,
                "CONN_MAX_AGE": self.conn_max_age,
            }
        try:
            # Connect now, not on the first purchase (its answer would carry the connect).
            with contextlib.suppress(Exception):
                connection.ensure_connection()
            while True:
                job = self.jobs.get()
                if job is None:
                    return
                body, done = job
                close_old_connections()
                try:
                    outcome = handle(body)
                except BaseException:  # handle() never raises; a bug must not kill the thread
                    logger.exception("card authorization worker failed")
                    outcome = Outcome(None)
                finally:
                    close_old_connections()
                done(outcome)
        finally:
            connections.close_all()

    def submit(self, body: bytes, loop: asyncio.AbstractEventLoop) -> asyncio.Future:
        future = loop.create_future()

        def done(outcome: Outcome) -> None:
            loop.call_soon_threadsafe(_settle, future, outcome)

        self.jobs.put((body, done))
        return future

    def stop(self) -> None:
        for _ in self.threads:
            self.jobs.put(None)
        for thread in self.threads:
            thread.join(timeout=30)


def _settle(future: asyncio.Future, outcome: Outcome) -> None:
    if not future.done():
        future.set_result(outcome)


class CardAuthServer:
    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 8583,
        workers: int | None = None,
        inflight: int | None = None,
        conn_max_age: int | None = None,
        reuse_port: bool = False,
    ) -> None:
        self.host = host
        self.port = port
        self.reuse_port = reuse_port
        self.pool = WorkerPool(
            workers or settings.CARDS_ISO_WORKERS,
            conn_max_age=settings.CARDS_ISO_CONN_MAX_AGE if conn_max_age is None else conn_max_age,
        )
        self.inflight = inflight or settings.CARDS_ISO_INFLIGHT
        self.server: asyncio.Server | None = None
        self.writers: set[asyncio.StreamWriter] = set()
        self.stopped: asyncio.Event | None = None

    async def start(self) -> tuple[str, int]:
        self.pool.start()
        self.stopped = asyncio.Event()
        self.server = await asyncio.start_server(
            self._connection, self.host, self.port, reuse_port=self.reuse_port or None
        )
        host, port = self.server.sockets[0].getsockname()[:2]
        self.port = port
        logger.info("card authorization server listening on %s:%s", host, port)
        return host, port

    def request_stop(self) -> None:
        if self.stopped is not None:
            self.stopped.set()

    async def close(self) -> None:
        if self.server is not None:
            self.server.close()
        for writer in list(self.writers):
            writer.close()
        if self.server is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.server.wait_closed(), 10)
        await asyncio.get_running_loop().run_in_executor(None, self.pool.stop)
        logger.info("card authorization server stopped")

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self.writers.add(writer)
        peer = writer.get_extra_info("peername")
        slots = asyncio.Semaphore(self.inflight)
        lock = asyncio.Lock()
        tasks: set[asyncio.Task] = set()
        try:
            while True:
                header = await reader.readexactly(codec.HEADER.size)
                (size,) = codec.HEADER.unpack(header)
                if size == 0:
                    continue
                body = await reader.readexactly(size)
                await slots.acquire()
                task = asyncio.create_task(self._message(body, writer, lock, slots))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        except Exception:
            logger.exception("card authorization connection failed", extra={"peer": str(peer)})
        finally:
            if tasks:
                await asyncio.gather(*tasks, return_exceptions=True)
            self.writers.discard(writer)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _message(self, body, writer, lock, slots) -> None:
        started = time.perf_counter()
        try:
            outcome = await self.pool.submit(body, asyncio.get_running_loop())
            if outcome.answer is not None and not writer.is_closing():
                async with lock:
                    writer.write(codec.frame(outcome.answer))
                    await writer.drain()
            level = (
                logging.WARNING
                if outcome.answer is None
                or outcome.response_code
                in (
                    "30",
                    "91",
                )
                else logging.INFO
            )
            if logger.isEnabledFor(level):
                logger.log(
                    level,
                    "iso8583 %s %s in %.1f ms",
                    outcome.mti or "????",
                    outcome.response_code or "(no answer)",
                    (time.perf_counter() - started) * 1000,
                    extra={"iso": outcome.summary or {}},
                )
        except (ConnectionError, asyncio.CancelledError):
            pass
        except Exception:
            logger.exception("card authorization answer failed")
        finally:
            slots.release()


@contextlib.contextmanager
def running_server(
    *, host: str = "127.0.0.1", port: int = 0, **options
) -> Iterator[CardAuthServer]:
    """A server on its own event loop thread (tests, benchmarks): yields it listening."""
    server = CardAuthServer(host=host, port=port, **options)
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    failure: list[BaseException] = []

    def run() -> None:
        asyncio.set_event_loop(loop)

        async def main() -> None:
            try:
                await server.start()
            except BaseException as exc:
                failure.append(exc)
                ready.set()
                raise
            ready.set()
            await server.stopped.wait()
            await server.close()

        with contextlib.suppress(BaseException):
            loop.run_until_complete(main())
        loop.close()

    thread = threading.Thread(target=run, name="card-auth-loop", daemon=True)
    thread.start()
    ready.wait(30)
    if failure:
        raise failure[0]
    try:
        yield server
    finally:
        loop.call_soon_threadsafe(server.request_stop)
        thread.join(60)


def serve(
    *,
    host: str,
    port: int,
    workers: int | None = None,
    processes: int = 1,
    on_ready: Callable | None = None,
) -> None:
    """Run until SIGINT/SIGTERM (the management command). With `processes` > 1, that many
    processes share the port (SO_REUSEPORT: the kernel spreads the connections), each with
    its own event loop and worker threads: the decisions are Python, one GIL per process."""
    warm_up()
    if processes <= 1:
        _serve_one(host=host, port=port, workers=workers, on_ready=on_ready)
        return
    import multiprocessing
    import signal

    connections.close_all()  # never hand a connection to a child
    context = multiprocessing.get_context("fork")
    children = [
        context.Process(
            target=_serve_one,
            kwargs={"host": host, "port": port, "workers": workers, "reuse_port": True},
            name=f"card-auth-server-{n}",
        )
        for n in range(processes)
    ]
    for child in children:
        child.start()

    def forward(signum, frame) -> None:
        for child in children:
            if child.is_alive():
                child.terminate()  # SIGTERM: each stops gracefully

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    if on_ready:
        on_ready(None)
    for child in children:
        child.join()


def warm_up() -> None:
    """Load what the first decision would otherwise load (the fraud model and rules), once
    and before any fork, so the children share it and no purchase waits for it."""
    from apps.cards.fraud import engine

    try:
        engine.warm_up()
    except Exception:  # the server still starts; the first decision loads it (or fails open)
        logger.exception("card authorization warm-up failed")
    finally:
        connections.close_all()


def _serve_one(
    *,
    host: str,
    port: int,
    workers: int | None = None,
    reuse_port: bool = False,
    on_ready: Callable | None = None,
) -> None:
    import signal

    async def main() -> None:
        server = CardAuthServer(host=host, port=port, workers=workers, reuse_port=reuse_port)
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, server.request_stop)
        await server.start()
        if on_ready:
            on_ready(server)
        await server.stopped.wait()
        await server.close()

    asyncio.run(main())
