"""The page writer: a full sync's pages committed by a thread of their own, in order.

While the writer's thread waits for the database (PostgreSQL's server, SQLite's C code: both
drivers release the GIL), the sync's thread fetches and parses the next pages. Each page is
still ONE transaction of its rows and its checkpoint (R4), committed in the order read, so
resume, drift detection and exactness are those of the sync without it.

The writer holds at most ``DEPTH`` pages not yet committed; the sync's thread waits when it is
that far ahead. When pages wait, the writer takes them together (a group commit): their rows
and the last one's checkpoint in ONE transaction, which keeps R4 (a crash loses the group and
resumes from the checkpoint before it) and saves the database's round trips that made a page
cost more than its reading on PostgreSQL. The first failure stops the writing: the pages
after it are dropped, and the failure is raised in the sync's thread by the next
:meth:`PageWriter.put` or by :meth:`PageWriter.finish`, which also waits for the pages before
it to be committed.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import Any

from django.db import connection

DEPTH = 4


class PageWriter:
    """Runs ``write(items)`` for the items put, in order, in a thread of its own: each call
    with the items waiting at that moment (at least one).

    ``setup`` runs first in that thread (its database connection is its own) and returns what
    undoes it; the thread closes its connection when it ends.
    """

    def __init__(self, write: Callable[[list[Any]], None], setup: Callable[[], Callable[[], None]]) -> None:
        self._write = write
        self._setup = setup
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=DEPTH)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._loop, name="sync-writer", daemon=True)
        self._thread.start()

    def put(self, item: Any) -> None:
        """Queue ``item`` (waiting while ``DEPTH`` items are queued); raises the writer's failure."""
        self._raise()
        self._queue.put(item)

    def finish(self) -> None:
        """Wait until every queued item is written (or dropped after a failure); raises it."""
        if self._thread.is_alive():
            self._queue.put(_END)
            self._thread.join()
        self._raise()

    def _raise(self) -> None:
        if self._error is not None:
            error, self._error = self._error, None
            raise error

    def _loop(self) -> None:
        undo: Callable[[], None] | None = None
        ended = False
        try:
            undo = self._setup()
            while not ended:
                items = [self._queue.get()]
                while len(items) < DEPTH + 1 and not self._queue.empty():
                    items.append(self._queue.get_nowait())  # only this thread takes items
                ended = items[-1] is _END
                if ended:
                    items.pop()
                if items:
                    self._write(items)
        except BaseException as exc:  # raised in the sync's thread
            self._error = exc
            while not ended:  # drop the rest; never leave put() waiting
                ended = self._queue.get() is _END
        finally:
            if undo is not None:
                undo()
            connection.close()


_END = object()
