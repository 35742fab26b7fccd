"""Alerts: found once a day, recorded once, e-mailed exactly once.

    >>> record_due(today=date(2026, 12, 2))   # inserts the alerts due today (idempotent)
    >>> send_pending()                         # e-mails those not sent yet; returns how many

What is alerted (each alert has a ``key`` naming its subject and date, unique in the database):

* ``cancel_by`` — an agreement's cancel-by date is N days away or less (N per agreement, default
  30; see ``DeadlineSettings``) and has not passed;
* ``expiry`` — a fixed-term agreement expires in N days or less;
* ``missing_cost`` — a commitment's scheduled payment was due 14 days ago or more (within the
  last 90 days) and no cost invoice of that commitment is dated in its month or up to 14 days
  after the due date;
* ``sync_failed`` — a system's last sync failed and it has had no successful sync for two days.

Exactly once, across restarts and several workers:

1. recording is an insert that the unique ``key`` lets happen once (a conflicting insert is
   ignored), so finding the same alert again, by any process, adds nothing;
2. sending first *claims* an alert with a conditional update
   (``UPDATE … SET claimed_by = me WHERE id = ? AND sent_at IS NULL AND (claimed_at IS NULL OR
   claimed_at < stale)``) — only one worker's update matches — then sends, then marks it sent.
   A worker killed between sending and marking leaves a claim that goes stale after
   ``CLAIM_TIMEOUT``; only then is the alert tried again (the one case that could repeat it).

Recipients: every active administrator with an e-mail address; the alert is also shown on the
dashboard whether or not mail went out.
"""

from __future__ import annotations

import logging
import secrets
from datetime import date, datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from forecaster.forecasts.models import Alert, DeadlineSettings

log = logging.getLogger(__name__)

DEFAULT_ALERT_DAYS = 30
MISSING_AFTER_DAYS = 14
MISSING_LOOKBACK_DAYS = 90
SYNC_FAILING_FOR = timedelta(days=2)
CLAIM_TIMEOUT = timedelta(minutes=15)
MAX_ATTEMPTS = 5


def alert_days_by_agreement() -> dict[int, int]:
    return dict(DeadlineSettings.objects.values_list("agreement_id", "alert_days"))


def _candidates(today: date) -> list[Alert]:
    from forecaster.currency.base import base_currency
    from forecaster.forecasts.deadlines import deadlines
    from forecaster.lib.money import fmt

    found: list[Alert] = []
    days = alert_days_by_agreement()
    currency = base_currency()
    for d in deadlines(today):
        n = days.get(d.agreement_id, DEFAULT_ALERT_DAYS)
        if d.kind == "renews" and d.cancel_by and today <= d.cancel_by <= today + timedelta(days=n):
            found.append(
                Alert(
                    key=f"cancel_by:{d.agreement_id}:{d.cancel_by.isoformat()}",
                    kind=Alert.Kind.CANCEL_BY,
                    about_date=d.cancel_by,
                    subject=_("Cancel by %(day)s: %(agreement)s")
                    % {"day": d.cancel_by, "agreement": d.title},
                    body=_(
                        "“%(agreement)s” with %(counterparty)s renews on %(end)s unless notice (%(notice)s) "
                        "is given by %(day)s. Cost at stake until the next possible end: %(stake)s %(cur)s."
                    )
                    % {
                        "agreement": d.title,
                        "counterparty": d.counterparty,
                        "end": d.term_end,
                        "notice": d.notice,
                        "day": d.cancel_by,
                        "stake": fmt(d.at_stake),
                        "cur": currency,
                    },
                )
            )
        if d.kind == "expires" and d.term_end and today <= d.term_end <= today + timedelta(days=n):
            found.append(
                Alert(
                    key=f"expiry:{d.agreement_id}:{d.term_end.isoformat()}",
                    kind=Alert.Kind.EXPIRY,
                    about_date=d.term_end,
                    subject=_("Expires %(day)s: %(agreement)s") % {"day": d.term_end, "agreement": d.title},
                    body=_("“%(agreement)s” with %(counterparty)s expires on %(day)s.")
                    % {"agreement": d.title, "counterparty": d.counterparty, "day": d.term_end},
                )
            )
    found.extend(_missing_costs(today))
    found.extend(_failing_syncs(today))
    return found


def _missing_costs(today: date) -> list[Alert]:
    from forecaster.costs import periods
    from forecaster.costs.models import Commitment, CostInvoice
    from forecaster.forecasts.history import month_start

    out = []
    latest_due = today - timedelta(days=MISSING_AFTER_DAYS)
    earliest_due = today - timedelta(days=MISSING_LOOKBACK_DAYS)
    commitments = Commitment.objects.filter(expected_amount__isnull=False).prefetch_related("price_steps")
    for c in commitments:
        for due, amount, currency in periods.schedule(c, earliest_due, latest_due, today=today):
            window = Q(
                document_date__gte=month_start(due),
                document_date__lte=due + timedelta(days=MISSING_AFTER_DAYS),
            )
            if CostInvoice.objects.filter(window, commitment=c).exists():
                continue
            out.append(
                Alert(
                    key=f"missing_cost:{c.pk}:{due.isoformat()}",
                    kind=Alert.Kind.MISSING_COST,
                    about_date=due,
                    subject=_("No invoice yet for %(name)s due %(day)s") % {"name": c.name, "day": due},
                    body=_(
                        "The expected cost of “%(name)s” (%(amount)s %(currency)s, due %(day)s) has no cost "
                        "invoice %(n)s days later. Add the invoice, or correct the commitment's schedule."
                    )
                    % {
                        "name": c.name,
                        "amount": amount,
                        "currency": currency,
                        "day": due,
                        "n": MISSING_AFTER_DAYS,
                    },
                )
            )
    return out


def _failing_syncs(today: date) -> list[Alert]:
    from forecaster.sync.models import SyncRun
    from forecaster.systems.models import AccountingSystem

    out = []
    now = timezone.now()
    for system in AccountingSystem.objects.filter(last_sync_ok=False):
        runs = SyncRun.objects.filter(system=system)
        last_ok = runs.filter(status=SyncRun.Status.SUCCEEDED).order_by("-finished_at").first()
        since = runs.filter(status=SyncRun.Status.FAILED)
        if last_ok is not None and last_ok.finished_at:
            since = since.filter(finished_at__gt=last_ok.finished_at)
        first_failure = since.order_by("finished_at").first()
        if first_failure is None or first_failure.finished_at is None:
            continue
        if now - first_failure.finished_at < SYNC_FAILING_FOR:
            continue
        day = timezone.localdate(first_failure.finished_at)
        out.append(
            Alert(
                key=f"sync_failed:{system.pk}:{day.isoformat()}",
                kind=Alert.Kind.SYNC_FAILED,
                about_date=day,
                subject=_("Sync of %(name)s failing since %(day)s") % {"name": system.name, "day": day},
                body=_(
                    "Every sync of “%(name)s” since %(day)s has failed; the last said: %(message)s "
                    "See the sync history for the fix."
                )
                % {"name": system.name, "day": day, "message": system.last_sync_message or "—"},
            )
        )
    return out


def record_due(today: date | None = None) -> int:
    """Record the alerts due ``today``; returns how many were new. Safe to run any number of
    times and from several processes at once: the unique key lets each alert in once."""
    today = today or timezone.localdate()
    candidates = _candidates(today)
    if not candidates:
        return 0
    before = Alert.objects.count()
    Alert.objects.bulk_create(candidates, ignore_conflicts=True)
    return Alert.objects.count() - before


def _recipients() -> list[str]:
    users = get_user_model().objects.filter(is_active=True, is_superuser=True).exclude(email="")
    return sorted({u.email for u in users})


def send_pending(now: datetime | None = None, worker: str | None = None) -> int:
    """E-mail every recorded alert not sent yet; returns how many this call sent."""
    now = now or timezone.now()
    worker = worker or secrets.token_hex(8)
    recipients = _recipients()
    if not recipients:
        return 0  # shown on the dashboard; mailed once an administrator has an address
    sent = 0
    pending = Alert.objects.filter(sent_at=None, attempts__lt=MAX_ATTEMPTS).values_list("pk", flat=True)
    for pk in list(pending):
        claimed = (
            Alert.objects.filter(pk=pk, sent_at=None)
            .filter(Q(claimed_at=None) | Q(claimed_at__lt=now - CLAIM_TIMEOUT))
            .update(claimed_by=worker, claimed_at=now)
        )
        if claimed != 1:
            continue  # another worker has it
        alert = Alert.objects.get(pk=pk)
        try:
            send_mail(
                subject=f"[Commitment Forecaster] {alert.subject}",
                message=alert.body,
                from_email=settings.DEFAULT_FROM_EMAIL,
                recipient_list=recipients,
            )
        except Exception as exc:  # SMTP down, refused…: try again on a later tick
            Alert.objects.filter(pk=pk, claimed_by=worker).update(
                claimed_at=None, claimed_by="", attempts=alert.attempts + 1, last_error=str(exc)[:300]
            )
            log.warning("alert %s not sent: %s", pk, exc)
            continue
        Alert.objects.filter(pk=pk, claimed_by=worker).update(
            sent_at=timezone.now(), attempts=alert.attempts + 1
        )
        sent += 1
    return sent


def recent(limit: int = 5) -> list[Alert]:
    """The newest alerts about today or later (or sent in the last 14 days), for the dashboard."""
    today = timezone.localdate()
    return list(
        Alert.objects.filter(
            Q(about_date__gte=today) | Q(created_at__gte=timezone.now() - timedelta(days=14))
        ).order_by("about_date", "pk")[:limit]
    )
