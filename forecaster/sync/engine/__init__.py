"""The sync engine: bring the local copy of a system's paid invoices to exactly WHMCS's.

Call it from anywhere (CLI, background task, test); it never sees a request::

    run = run_sync(system, mode="full", trigger="cli")            # -> SyncRun (finished)
    run = run_sync(system, mode="incremental", trigger="schedule",
                   client=my_client, on_progress=lambda run: print(run.step, run.steps_total))

``run_sync`` claims the system (one active run per system, enforced by the database; a second
start raises :class:`AlreadyRunning`), runs, and records the outcome in the ``SyncRun`` and in the
system's ``last_sync_*`` fields. It returns the run whether it succeeded or failed; only
``AlreadyRunning`` is raised. ``stop`` (a ``threading.Event``) ends a run cleanly between steps,
leaving it ``interrupted`` and resumable.

Full sync
    Pages ``GetInvoices status=Paid orderby=id order=asc``, ``Step`` new invoices per request
    ("step k of n", n = ceil(totalresults / Step)). Every page after the first starts one row
    early (``limitstart = next_offset - 1``): that overlap row must be the last id already read
    (or an earlier one). If the page starts *after* it, invoices before our position left the
    paid set while we paged and rows were skipped, so the offset backs off by a Step and the page
    is read again (bounded; each counted in ``SyncRun.drift``). Rows are deduplicated by id.
    Each page's rows go into ``StagedInvoice`` and the checkpoint (``next_offset``, ``last_id``,
    ``step``) is written *in the same transaction*, so a killed sync resumes from its last
    committed step, re-reading one row. Paging ends on an empty or short page or when
    ``start + returned >= totalresults``, with a request ceiling. At the end one transaction
    switches: invoices not in the stage are deleted (they stopped being Paid: refunded,
    cancelled, deleted — the run records how many), new ones inserted, changed ones updated
    (``INSERT … SELECT … ON CONFLICT DO UPDATE … WHERE`` something differs, so unchanged rows
    keep the exchange rate they were converted with), and the report aggregates refreshed.
    Until then reports show the previous figures. When the remote changed during paging
    (``totalresults`` moved or an overlap mismatched) the cheap check below runs right after
    the switch to catch changes in the part already read.

Sync (cheap, incremental)
    1. Read the newest invoices: ``order=desc``, Step per request, until a page reaches an id
       we already hold (or the bottom). Each page is a complete picture of an id range, so the
       local rows in that range are replaced by exactly the page (new, late-paid, changed and
       no-longer-paid invoices in the newest range are all handled). ``b`` = the lowest id read.
    2. Prove the older part: with ``Lb`` local invoices below ``b``, ask for the two rows at
       ascending positions ``Lb-1`` and ``Lb``. They must be our highest id below ``b`` and
       ``b`` itself; then the remote holds as many paid invoices below ``b`` as we do, up to the
       same id. That is the whole "nothing new" check: 2 requests (d new: ceil((d+1)/Step) + 1),
       plus one for the pipeline below (its first page; see :mod:`.pipeline`).
    3. Otherwise bisect with one-row requests (about log2(n)) for the first position where
       the remote id differs from ours, read one Step page from there, replace that id range,
       and check again — at most a few times, then fall back to a full sync (recorded in the
       run's note) rather than be wrong.
    Limits: a refund balanced by a late payment below ``b`` keeps both counts and positions
    equal and escapes the cheap check; the daily schedule therefore runs a full reconciliation
    every ``FULL_RECONCILE_DAYS`` (reliability R10). If ``totalresults`` changes during a cheap
    sync it starts over once, then falls back to a full sync.

Pipeline (every sync, after the paid invoices)
    ``GetInvoices status=Unpaid orderby=duedate order=desc`` until a row is due before the
    current month: the unpaid invoices already issued and due ahead, which the revenue forecast
    adds. They replace the system's ``UnpaidInvoice`` rows as a whole. One request when fewer
    than a Step are due ahead, so a "nothing new" Sync costs 3 requests.

Removed invoices are deleted from ``Invoice`` (the product keeps only the paid set; the
history of each run says how many left).

Where each part lives (one responsibility per module):

==============  =================================================================
``runner``      ``run_sync``: claim, run, record the outcome (the entry point)
``claims``      one active run per system; stale runs expired (R11)
``outcome``     how a run ends: status, message and fix (a table of failures)
``core``        ``Engine``: one run's state, composed of the parts below
``fetching``    page requests, parsing, the prefetch pool
``staging``     stage rows and the page commit with its checkpoint (R4)
``writer``      the page writer: pages committed by a thread of their own, in order
``switch``      the stage becomes the invoices in one transaction (R6)
``full``        the full sync's paging, drift handling and request ceiling
``cheap``       the cheap sync: newest windows, the proof, bisection repairs
``pipeline``    the unpaid invoices due ahead (the forecast's pipeline)
==============  =================================================================
"""

from forecaster.sync.engine.claims import active_run, claim, expire_stale
from forecaster.sync.engine.core import Engine
from forecaster.sync.engine.errors import AlreadyRunning, SyncFailed, SyncStopped
from forecaster.sync.engine.full import MAX_DRIFT_RETRIES
from forecaster.sync.engine.outcome import summary
from forecaster.sync.engine.runner import run_sync

__all__ = [
    "MAX_DRIFT_RETRIES",
    "AlreadyRunning",
    "Engine",
    "SyncFailed",
    "SyncStopped",
    "active_run",
    "claim",
    "expire_stale",
    "run_sync",
    "summary",
]
