"""SQLite access without blocking the event loop.

Writes run on one dedicated writer thread. It takes every job that is waiting, runs them
all in one transaction and commits once (group commit): under concurrency one disk sync
covers many messages. A job is a plain function of the connection. Jobs report expected
failures as return values; an exception from a job rolls the whole batch back and the
batch is re-run one job per transaction, so one bad job never takes others with it.
COMMIT does not wait for the disk: the sync thread (`walsync.py`) syncs the log behind
the writer, and a batch's futures are resolved only after a sync that started once its
COMMIT had returned, so nothing is acknowledged before it is durable while the next
batch is written during the previous one's sync. Reads wait the same way: a read returns
only once every commit it could have seen is durable.

Reads run on a small pool of threads, each with its own connection; WAL lets them read
while the writer writes.

The write-ahead log stays bounded under any sustained load. A checkpoint thread copies
the log into the database file (PASSIVE, beside the writer) so that commits never wait
for the database file's sync. But a log is only restarted from its beginning when a
checkpoint has caught up with it and the next transaction starts, which never happens
while commits follow each other: left alone, the log grows without end. So when it
passes half of `wal_limit` the checkpoint thread holds the writer between two
transactions (the gate) just long enough to copy the few pages written since its last
pass and restart the log; and should it ever fall behind, the writer itself checkpoints
before the log passes `wal_limit` (plus one batch).

The writer also owns `WriterState`, caches of counters (per-channel message ids, per-user
inbox seqs) and channel membership. Only the writer thread touches it, and any failed
commit clears it, so it can never run ahead of what is on disk.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import queue
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from chinwag.errors import unavailable
from chinwag.store.sqlite.walsync import Outcome, WalSync
from chinwag.threadnames import name_os_thread

log = logging.getLogger("chinwag.store.sqlite")

T = TypeVar("T")

MAX_BATCH = 1024
# Background work (taking off the store's queue what the search index has taken, with
# the idempotency keys it carries: claims.Drain) runs when no jobs wait; under a
# sustained load that never leaves the queue empty it is asked again after this many
# jobs, told that jobs wait, so it can keep its backlog bounded.
BACKGROUND_EVERY = 256
# At low concurrency the queue empties after every commit (each sender waits for its
# ack). A background step at each of those moments was a second transaction and disk
# sync per commit, for a few messages each: it doubled the writer's CPU per message. So
# an idle moment runs it only once this many jobs were committed since its last step,
# or once no job has come for BACKGROUND_IDLE seconds.
BACKGROUND_BATCH = 256
BACKGROUND_IDLE = 0.05
# Once no job has come for this long, background work is told the writer is quiet: it
# may then begin work it leaves alone between jobs. A quiet step is run once per quiet
# spell even when the last step found nothing to do.
BACKGROUND_QUIET = 1.0
# Seconds between passive checkpoints while there are commits. A page that commits keep
# rewriting (the tail of each conversation and table) is copied once per pass, so rarer
# passes copy fewer pages a message (at window 1, 2 s against 0.25 s: half the reads and
# ~4 KB less written a message); under a high rate the log's size starts passes anyway.
CHECKPOINT_EVERY = 2.0
WAL_CHECK_EVERY = 0.02  # seconds between looks at the log's size
WAL_LIMIT = 256 << 20  # bytes; the default of the `wal_limit_mb` setting
FORCE_WAIT = 2.0  # seconds the writer waits, at most, to restart a log past its limit
CATCH_UP_PASSES = 4  # most passive checkpoints before a restart holds the writer
QUICK_PASS = 0.005  # seconds: a pass this quick leaves little for the held one
_STOP = object()
_WAKE = object()  # no job: look for background work


@dataclass
class Crowding:
    """Whether a transaction's gathered rows (inbox.py, history.py) go straight into
    their big table: they do after a transaction whose keys took two rows or more each
    (window 16: ~16), which wrote each key's page once for them all; gathered, each row
    would be written twice."""

    batch: int = 0
    rows: int = 0
    keys: set[str] = field(default_factory=set)
    direct: bool = False

    def note(self, batch: int, keys: Iterable[str], rows: int) -> bool:
        """Count `rows` rows of `keys` in transaction `batch`; True: straight in."""
        if self.batch != batch:
            self.direct = bool(self.keys) and self.rows >= 2 * len(self.keys)
            self.batch = batch
            self.rows = 0
            self.keys.clear()
        self.rows += rows
        self.keys.update(keys)
        return self.direct


@dataclass
class WriterState:
    """Caches owned by the writer thread; cleared whenever a transaction fails."""

    channel_seq: dict[str, int] = field(default_factory=dict)
    inbox_seq: dict[str, int] = field(default_factory=dict)
    members: dict[str, tuple[str, tuple[str, ...], bool]] = field(default_factory=dict)
    # Idempotency keys not yet in `sends` (claims.py), loaded from disk when None.
    claims: dict[tuple[str, str], tuple[str, int]] | None = None
    claims_loaded: int = 0
    # The newest seq of each user with entries in `inbox_recent` (inbox.py), loaded
    # from disk when None.
    recent_heads: dict[str, int] | None = None
    # How many entries wait in `inbox_recent`, counted when None.
    recent_waiting: int | None = None
    # Send transactions begun: what a job keeps about the transaction under way (the
    # inbox's entries a user, the history's rows a channel) knows a new one by it.
    batch: int = 0
    inbox_crowding: Crowding = field(default_factory=Crowding)
    history_crowding: Crowding = field(default_factory=Crowding)
    # The history's route as stored in the database (history.py); None: not known.
    history_direct: bool | None = None
    limit: int = 200_000

    def clear(self) -> None:
        self.channel_seq.clear()
        self.inbox_seq.clear()
        self.members.clear()
        self.claims = None
        self.recent_heads = None
        self.recent_waiting = None
        self.history_direct = None

    def bound(self) -> None:
        # Cheap bound on memory: drop everything past the limit; entries reload lazily.
        if len(self.channel_seq) > self.limit:
            self.channel_seq.clear()
        if len(self.inbox_seq) > self.limit:
            self.inbox_seq.clear()
        if self.recent_heads is not None and len(self.recent_heads) > self.limit:
            self.recent_heads = None
        if len(self.members) > self.limit // 10:
            self.members.clear()


Job = Callable[[sqlite3.Connection, WriterState], Any]
# Called on the event loop with a job's outcome: (result, None) or (None, the error).
Then = Callable[[Any, BaseException | None], None]
# A job and the future its outcome resolves, or what is called with it (a tuple: one is
# made per message).
_Pending = tuple[Job, "asyncio.Future[Any] | Then"]


def connect(path: Path, *, readonly: bool = False, synchronous: str = "FULL") -> sqlite3.Connection:
    conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False, timeout=30.0)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(f"PRAGMA synchronous={synchronous}")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA busy_timeout=30000")
    # Bounded page caches (KiB): the writer's working set is the tail of each index
    # (appends); readers mostly serve recent history. Memory stays flat as data grows.
    conn.execute("PRAGMA cache_size=-4096" if readonly else "PRAGMA cache_size=-16384")
    if readonly:
        conn.execute("PRAGMA query_only=ON")
    return conn


class Database:
    """The writer thread, the reader pool, and their connections."""

    def __init__(
        self,
        path: Path,
        *,
        readers: int = 4,
        wal_limit: int = WAL_LIMIT,
        fsync: Callable[[int], None] = os.fdatasync,
        db_fsync: Callable[[int], None] = os.fdatasync,
        attach: Callable[[sqlite3.Connection], None] | None = None,
    ) -> None:
        self.path = path
        # Run on each reader's new connection (another file attached to it).
        self._attach = attach
        self.wal_path = Path(f"{path}-wal")
        self.wal_limit = wal_limit
        self._readers = readers
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._pool: ThreadPoolExecutor | None = None
        self._local = threading.local()
        self._reader_conns: list[sqlite3.Connection] = []
        self._reader_lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._writer_conn: sqlite3.Connection | None = None
        self.state = WriterState()
        self._outgoing: list[_Pending] = []
        self._stopping = threading.Event()
        self._checkpointer: threading.Thread | None = None
        self.commits = 0
        self.jobs = 0
        self._sync = WalSync(self.wal_path, self._durable, fsync)
        self._db_fsync = db_fsync
        # The checkpoint thread's own syncs of the database file; after a failed one the
        # log is never restarted.
        self.db_syncs = 0
        self._db_sync_failed = False
        # Transactions whose COMMIT has begun (writer thread), and how many of them the
        # event loop knows to be durable: a read waits until the second reaches what the
        # first was when it finished reading.
        self._begun = 0
        self._durable_seen = 0
        self._read_waiters: list[tuple[int, asyncio.Future[None]]] = []
        # Held by the writer for each transaction; the checkpoint thread takes it to
        # restart the log while no transaction is open. `_gate_wanted` makes the writer
        # step aside before its next transaction, so the checkpoint is not starved.
        self._gate = threading.Lock()
        self._gate_wanted = False
        self._gate_free = threading.Event()
        self._gate_free.set()
        self.wal_restarts = 0  # by the checkpoint thread
        self.wal_forced = 0  # by the writer, when the checkpoint thread fell behind
        self.wal_pause_s = 0.0  # time the writer was held for restarts, in all
        self.wal_pause_max_s = 0.0
        # Runs inside its own transaction on the writer thread between group commits,
        # told whether jobs wait and whether the writer is quiet (BACKGROUND_QUIET);
        # returns True while it has more to do.
        self._background: Callable[[sqlite3.Connection, bool, bool], bool] | None = None
        self._background_more = True
        # Working through a backlog: run the next step at the first idle moment.
        self._background_draining = True
        # Jobs committed since the last idle step, and since the last busy one.
        self._since_background = 0
        self._since_busy = 0
        self.background_runs = 0
        self._last_job = time.monotonic()
        self._quiet_step_done = False

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # NORMAL: COMMIT returns without syncing the log; the sync thread makes every
        # commit durable before its outcome is released (see walsync.py for why this
        # is as durable as FULL). Migrations run on this connection before the first
        # job; the first job's sync covers them, and nothing before it is acknowledged.
        self._writer_conn = connect(self.path, synchronous="NORMAL")
        # Checkpoints run on their own thread, so a commit never waits for the database
        # file's sync (the WAL's own sync is the only one on the commit path).
        self._writer_conn.execute("PRAGMA wal_autocheckpoint=0")
        # After a restart the next commit cuts the file back to this size, so the disk
        # the log holds falls back too (a restart alone reuses the file from its start).
        self._writer_conn.execute(f"PRAGMA journal_size_limit={self.wal_limit // 2}")
        self._pool = ThreadPoolExecutor(
            self._readers, thread_name_prefix="chinwag-sqlite-read", initializer=name_os_thread
        )
        self._thread = threading.Thread(target=self._run, name="chinwag-sqlite-write", daemon=True)
        self._thread.start()
        self._sync.start()
        self._checkpointer = threading.Thread(
            target=self._checkpoints, name="chinwag-sqlite-checkpoint", daemon=True
        )
        self._checkpointer.start()

    def _checkpoints(self) -> None:
        name_os_thread()
        conn = connect(self.path)
        # Waiting for a reader to leave the log must never hold the writer for long: a
        # restart that cannot happen at once is tried again on the next look.
        conn.execute("PRAGMA busy_timeout=50")
        db_fd = -1
        try:
            db_fd = os.open(self.path, os.O_RDONLY | os.O_CLOEXEC)
            done = 0
            next_passive = 0.0
            while not self._stopping.wait(WAL_CHECK_EVERY):
                # Every commit counts, background work's too.
                begun = self._begun
                if begun == done:
                    continue
                try:
                    if self.wal_size() > self.wal_limit // 2:
                        done = begun
                        self._restart_wal(conn, db_fd)
                    elif time.monotonic() >= next_passive:
                        done = begun
                        self._passive(conn, db_fd)
                        next_passive = time.monotonic() + CHECKPOINT_EVERY
                except sqlite3.Error as exc:
                    log.warning("checkpoint failed: %s", exc)
                except OSError as exc:
                    # The pages the sync was writing may be gone from the cache while
                    # a later sync reports success; only the log still holds them for
                    # sure. So the log is never restarted again and nothing more is
                    # acknowledged, as when the log's own sync fails.
                    log.critical("sync of the database file failed: %s", exc)
                    self._db_sync_failed = True
                    self._sync.poison()
                    return
        finally:
            if db_fd >= 0:
                os.close(db_fd)
            conn.close()

    def _passive(self, conn: sqlite3.Connection, db_fd: int) -> float:
        """A PASSIVE pass beside the writer, then a sync of the pages it copied; seconds
        the pass took. SQLite syncs the database file only after a pass that found
        nothing more in the log when it ended, which never happens while commits follow
        each other, so every page copied since the last restart waited for the
        restart's own sync, with the writer held: most of a restart's pause (tens of MB,
        23-64 ms at most at 5,000 msgs/s). Synced here, a restart syncs only what its
        last, held pass copied."""
        began = time.monotonic()
        copied = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()[2]
        took = time.monotonic() - began
        # The result cannot tell whether SQLite synced (its log size is the one the
        # pass began with); a sync with nothing left to write costs little.
        if copied > 0:
            self._db_fsync(db_fd)
            self.db_syncs += 1
        return took

    def wal_size(self) -> int:
        """Bytes of the write-ahead log file (0 when there is none)."""
        try:
            return self.wal_path.stat().st_size
        except FileNotFoundError:
            return 0

    def _restart_wal(self, conn: sqlite3.Connection, db_fd: int) -> None:
        # The bulk of the copying, and of syncing the copies, happens beside the writer,
        # in passes that end once a pass is quick (little was written during the
        # previous one); only what is committed during the last pass is copied and
        # synced while the writer waits.
        for _ in range(CATCH_UP_PASSES):
            if self._passive(conn, db_fd) < QUICK_PASS:
                break
        self._gate_free.clear()
        self._gate_wanted = True
        try:
            with self._gate:
                held = time.monotonic()
                busy, _, _ = conn.execute("PRAGMA wal_checkpoint(RESTART)").fetchone()
                pause = time.monotonic() - held
        finally:
            self._gate_wanted = False
            self._gate_free.set()
        self.wal_pause_s += pause
        self.wal_pause_max_s = max(self.wal_pause_max_s, pause)
        if not busy:
            self.wal_restarts += 1

    @property
    def begun(self) -> int:
        """Transactions whose COMMIT has begun: a change says something was written."""
        return self._begun

    def wake_background(self) -> None:
        """From any thread: background work may have something to do now."""
        self._queue.put(_WAKE)

    def writer_connection(self) -> sqlite3.Connection:
        """For migrations before the writer thread starts taking jobs."""
        assert self._writer_conn is not None
        return self._writer_conn

    async def close(self) -> None:
        self._stopping.set()
        if self._checkpointer is not None:
            await asyncio.get_running_loop().run_in_executor(None, self._checkpointer.join)
            self._checkpointer = None
        if self._outgoing:
            self._hand_over()
        if self._thread is not None:
            self._queue.put(_STOP)
            await asyncio.get_running_loop().run_in_executor(None, self._thread.join)
            self._thread = None
        await asyncio.get_running_loop().run_in_executor(None, self._sync.stop)
        await asyncio.sleep(0)  # the outcomes of the last sync, handed to this loop
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
        with self._reader_lock:
            for conn in self._reader_conns:
                conn.close()
            self._reader_conns.clear()
        if self._writer_conn is not None:
            self._writer_conn.close()
            self._writer_conn = None

    # -- writes ---------------------------------------------------------------

    def write(self, fn: Job) -> asyncio.Future[Any]:
        """Queue a job for the next group commit; the future resolves after COMMIT.

        Jobs queued in one event-loop turn reach the writer together, so the writer
        thread is woken once per turn, not once per job."""
        # The loop given to `start` (asking for the running one costs a getpid()).
        loop = self._enqueue()
        fut: asyncio.Future[Any] = loop.create_future()
        self._outgoing.append((fn, fut))
        return fut

    def write_then(self, fn: Job, then: Then) -> None:
        """`write` without a future: `then` is called as the durable outcome reaches the
        event loop, where a future's callbacks would run a turn of the loop later."""
        self._enqueue()
        self._outgoing.append((fn, then))

    def _enqueue(self) -> asyncio.AbstractEventLoop:
        """Before a job joins this turn's list: the first of a turn schedules its
        hand-over to the writer."""
        if self._thread is None:
            raise unavailable("storage is closed")
        loop = self._loop
        assert loop is not None
        if not self._outgoing:
            loop.call_soon(self._hand_over)
        return loop

    def _hand_over(self) -> None:
        jobs, self._outgoing = self._outgoing, []
        self._queue.put(jobs)

    def _run(self) -> None:
        name_os_thread()
        conn = self._writer_conn
        assert conn is not None
        stop = False
        while not stop:
            try:
                first = self._queue.get_nowait()
            except queue.Empty:
                first = self._idle(conn)
                if first is None:
                    continue
            if self._since_busy >= BACKGROUND_EVERY:
                self._since_busy = 0
                self._run_background(conn, busy=True)
            if first is _STOP:
                break
            if first is _WAKE:
                self._background_more = True
                continue
            batch: list[_Pending] = first
            while len(batch) < MAX_BATCH:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is _STOP:
                    stop = True
                    break
                if item is not _WAKE:
                    batch.extend(item)
            if self._gate_wanted:
                self._gate_free.wait()
            with self._gate:
                self._commit_batch(conn, batch)
                self._bound_log(conn)
            self.commits += 1
            self._last_job = time.monotonic()
            self._quiet_step_done = False
            self._since_background += len(batch)
            self._since_busy += len(batch)
            self._background_more = True  # the commit may have left work for it
            self.jobs += len(batch)
            self.state.bound()

    def _idle(self, conn: sqlite3.Connection) -> Any:
        """No job waits: run a background step if one is due (None: look again), else
        wait for the next item of the queue."""
        if self._background is None:
            return self._queue.get()
        if not self._background_more:
            if self._quiet_step_done:
                return self._queue.get()
            wait = self._last_job + BACKGROUND_QUIET - time.monotonic()
            if wait > 0:
                try:
                    return self._queue.get(timeout=wait)
                except queue.Empty:
                    pass
            self._quiet_step_done = True
            self._background_more = True
            self._run_background(conn, busy=False)
            return None
        if not self._background_draining and self._since_background < BACKGROUND_BATCH:
            try:
                return self._queue.get(timeout=BACKGROUND_IDLE)
            except queue.Empty:
                pass
        self._run_background(conn, busy=False)
        return None

    def run_in_background(self, fn: Callable[[sqlite3.Connection, bool, bool], bool]) -> None:
        """Give the writer background work (after migrations: it uses their tables); it
        starts now, for a backlog left by the last run."""
        self._background = fn
        self._queue.put(_WAKE)

    def _run_background(self, conn: sqlite3.Connection, *, busy: bool) -> bool:
        """One step of background work in its own transaction; True if it did any.
        A failure is logged and retried after the next commit, never raised."""
        step = self._background  # once: a test may take it away meanwhile
        if step is None or not self._background_more:
            return False
        jobs_since = self._since_background
        if not busy:
            self._since_background = 0
        if self._gate_wanted:
            self._gate_free.wait()
        with self._gate:
            try:
                conn.execute("BEGIN IMMEDIATE")
                quiet = not busy and time.monotonic() - self._last_job >= BACKGROUND_QUIET
                more = step(conn, busy, quiet)
                self._commit(conn, [])
            except Exception:
                log.exception("background work failed")
                self._rollback(conn)
                self._background_more = False
                self._background_draining = False
                return False
            self._bound_log(conn)
        self.background_runs += 1
        self._background_more = more
        # A step always finds the jobs committed since the last one; only a step with
        # none in between is working through an older backlog.
        self._background_draining = more and not busy and not jobs_since
        return more

    def _bound_log(self, conn: sqlite3.Connection) -> None:
        """After any commit, jobs' or background work's: restart a log past its limit."""
        if self.wal_size() > self.wal_limit and not self._db_sync_failed:
            self._force_checkpoint(conn)

    def _force_checkpoint(self, conn: sqlite3.Connection) -> None:
        """The checkpoint thread fell behind (starved of CPU, or a reader held the log):
        restart the log here, before anything more is written to it.

        A checkpoint the checkpoint thread is running (one of its passes beside the
        writer) makes this one return busy at once, without waiting; commits no longer
        wait for the disk, so many can follow during such a pass. So it is tried again
        until it happens, for at most FORCE_WAIT seconds."""
        deadline = time.monotonic() + FORCE_WAIT
        while True:
            try:
                busy, _, _ = conn.execute("PRAGMA wal_checkpoint(RESTART)").fetchone()
            except sqlite3.Error as exc:
                log.warning("checkpoint failed: %s", exc)
                return
            if not busy:
                self.wal_forced += 1
                return
            if time.monotonic() >= deadline:
                log.warning("the log could not be restarted: a reader or checkpoint holds it")
                return
            time.sleep(0.001)

    def _commit(self, conn: sqlite3.Connection, outcomes: list[Outcome]) -> None:
        """COMMIT, then hand the outcomes to the sync thread. A failed COMMIT is handed
        over too (without outcomes), so every commit begun is one the sync thread
        counts: reads wait on that count."""
        self._begun += 1
        try:
            conn.execute("COMMIT")
        except BaseException:
            self._sync.committed([])
            raise
        self._sync.committed(outcomes)

    def _commit_batch(self, conn: sqlite3.Connection, batch: list[_Pending]) -> None:
        """Run the batch in one transaction; its outcomes go out through the sync thread."""
        state = self.state
        try:
            conn.execute("BEGIN IMMEDIATE")
            state.batch += 1
            outcomes = _run(conn, state, batch)
        except Exception as exc:
            self._rollback(conn)
            if len(batch) == 1:
                self._sync.failed((batch[0][1], None, _as_client_error(exc)))
                return
        else:
            try:
                self._commit(conn, outcomes)
                return
            except Exception as exc:
                self._rollback(conn)
                if len(batch) == 1:
                    self._sync.failed((batch[0][1], None, _as_client_error(exc)))
                    return
        # Something in the batch failed: isolate it by running each job on its own.
        for job in batch:
            self._commit_batch(conn, [job])

    def _durable(self, outcomes: list[Outcome], covered: int) -> None:
        """On the sync thread: what a sync made durable goes to the event loop."""
        assert self._loop is not None
        with contextlib.suppress(RuntimeError):  # loop closed during shutdown
            self._loop.call_soon_threadsafe(self._resolve, outcomes, covered)

    def _resolve(self, outcomes: list[Outcome], covered: int) -> None:
        self._durable_seen = covered
        _resolve(outcomes)
        if self._read_waiters:
            waiting = []
            for target, fut in self._read_waiters:
                if target > covered:
                    waiting.append((target, fut))
                elif not fut.done():
                    fut.set_result(None)
            self._read_waiters = waiting

    def _rollback(self, conn: sqlite3.Connection) -> None:
        self.state.clear()
        try:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
        except sqlite3.Error:
            log.exception("rollback failed")

    # -- reads ----------------------------------------------------------------

    async def read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        if self._pool is None:
            raise unavailable("storage is closed")
        loop = asyncio.get_running_loop()
        try:
            result, seen = await loop.run_in_executor(self._pool, self._read_in_thread, fn)
        except sqlite3.OperationalError as exc:
            log.error("sqlite read failed: %s", exc)
            raise unavailable() from exc
        if seen > self._durable_seen:
            # The read may have seen a commit whose sync is still under way: what it
            # returns must not be lost by a power cut after it was shown.
            waiter: asyncio.Future[None] = loop.create_future()
            self._read_waiters.append((seen, waiter))
            await waiter
        return result

    def _read_in_thread(self, fn: Callable[[sqlite3.Connection], T]) -> tuple[T, int]:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = connect(self.path, readonly=True)
            if self._attach is not None:
                self._attach(conn)
            self._local.conn = conn
            with self._reader_lock:
                self._reader_conns.append(conn)
        result = fn(conn)
        # Every commit this read could have seen had begun by now.
        return result, self._begun


def _run(conn: sqlite3.Connection, state: WriterState, batch: list[_Pending]) -> list[Outcome]:
    """The batch's outcomes, in order. A run of jobs with the same `group` (a function of
    the connection, the state and the jobs, giving their outcomes in order) runs as
    one call: sends write a commit's rows in a few statements (bulk.py)."""
    outcomes: list[Outcome] = []
    i, n = 0, len(batch)
    while i < n:
        fn, fut = batch[i]
        group: Callable[..., list[Any]] | None = getattr(fn, "group", None)
        if group is None:
            outcomes.append((fut, fn(conn, state), None))
            i += 1
            continue
        results_of: Callable[..., list[Any]] = group
        j = i + 1
        while j < n and getattr(batch[j][0], "group", None) is results_of:
            j += 1
        results = results_of(conn, state, [job for job, _ in batch[i:j]])
        outcomes += [(f, r, None) for (_, f), r in zip(batch[i:j], results, strict=True)]
        i = j
    return outcomes


def _as_client_error(exc: Exception) -> BaseException:
    from chinwag.errors import ChinwagError, conflict

    if isinstance(exc, ChinwagError):
        return exc
    if isinstance(exc, sqlite3.IntegrityError):
        # A constraint the job did not check first (a race, or a bad reference).
        log.info("sqlite constraint: %s", exc)
        return conflict("conflicts with existing data")
    if isinstance(exc, sqlite3.OperationalError | sqlite3.DatabaseError):
        # Disk full, I/O error, locked: the write did not happen; the client may retry.
        log.error("sqlite write failed: %s", exc)
        return unavailable()
    log.error("sqlite write job failed", exc_info=exc)
    return exc


def _resolve(outcomes: list[Outcome]) -> None:
    for fut, result, exc in outcomes:
        if not isinstance(fut, asyncio.Future):
            try:
                fut(result, exc)
            except Exception:
                # One caller's failure must not keep the others' outcomes from them.
                log.exception("a write's outcome could not be handled")
            continue
        if fut.done():
            continue
        if exc is not None:
            fut.set_exception(exc)
        else:
            fut.set_result(result)
