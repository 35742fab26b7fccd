"""CSV import of cost invoices — all or nothing, with a line-by-line error report and a dry run.

    >>> outcome = import_csv(b"counterparty,number,document_date,net,vat,gross,currency\\n"
    ...                      b"Datacenter One,F/1,2024-01-31,100.00,23.00,123.00,EUR\\n", dry_run=True)
    >>> outcome.ok, outcome.count, outcome.errors
    (True, 1, [])

Each line is validated exactly like the web form (``CostInvoiceForm``): net + VAT = gross, a
known currency or a set rate, dates as YYYY-MM-DD, amounts with a dot. The counterparty is
found by VAT id when the ``vat_id`` column is filled, else by company name (case-insensitive);
``commitment`` names an existing commitment. When any line is wrong nothing is saved and every
wrong line is reported with its line number (the header is line 1).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import IntegrityError, transaction

from forecaster.costs.forms import CostInvoiceForm
from forecaster.costs.models import Commitment, CostInvoice, Counterparty, normalise_name, normalise_vat_id

REQUIRED = ("counterparty", "number", "document_date", "net", "vat", "gross", "currency")
OPTIONAL = ("receipt_date", "due_date", "vat_id", "commitment", "tags", "notes")
COLUMNS = REQUIRED + OPTIONAL
MAX_BYTES = 20 * 1024 * 1024


@dataclass
class Outcome:
    dry_run: bool
    count: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)
    created: list[int] = field(default_factory=list)
    net_base: Decimal = Decimal("0.00")

    @property
    def ok(self) -> bool:
        return not self.errors

    def report(self) -> str:
        """The outcome in plain lines (the CLI prints this)."""
        if self.errors:
            lines = [f"line {n}: {msg}" for n, msg in self.errors]
            return "\n".join([*lines, f"{len(self.errors)} error(s); nothing was imported."])
        verb = "would be imported (dry run, nothing saved)" if self.dry_run else "imported"
        return f"{self.count} cost invoice(s) {verb}; net {self.net_base} in the base currency."


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValueError("the file is not UTF-8 text; save it as CSV UTF-8") from None


def import_csv(data: bytes, dry_run: bool = False) -> Outcome:
    """Validate every line of ``data`` and, unless ``dry_run``, save them all in one transaction."""
    outcome = Outcome(dry_run=dry_run)
    reader = _reader(data, outcome)
    if reader is None:
        return outcome
    forms = _valid_lines(reader, _Lookups.load(), outcome)
    if not forms and not outcome.errors:
        outcome.errors.append((0, "the file has no invoice lines"))
    if outcome.errors:
        return outcome
    _save(forms, outcome)
    return outcome


def _reader(data: bytes, outcome: Outcome) -> csv.DictReader | None:
    """A reader over the file's lines with checked, normalised column names (else ``None``
    and the reason in ``outcome``)."""
    if len(data) > MAX_BYTES:
        outcome.errors.append((0, f"the file is larger than {MAX_BYTES // (1024 * 1024)} MB; split it"))
        return None
    try:
        text = _decode(data)
    except ValueError as exc:
        outcome.errors.append((0, str(exc)))
        return None
    sample = text[:4096]
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        outcome.errors.append(
            (1, "missing column(s): " + ", ".join(missing) + "; expected " + ", ".join(COLUMNS))
        )
        return None
    unknown = [h for h in header if h not in COLUMNS]
    if unknown:
        outcome.errors.append(
            (1, "unknown column(s): " + ", ".join(unknown) + "; expected " + ", ".join(COLUMNS))
        )
        return None
    reader.fieldnames = header
    return reader


@dataclass
class _Lookups:
    """Counterparties by name and by VAT id, commitments by name (read once per import)."""

    by_name: dict[str, list[Counterparty]]
    by_vat: dict[str, list[Counterparty]]
    commitments: dict[str, list[Commitment]]

    @classmethod
    def load(cls) -> _Lookups:
        found = cls({}, {}, {})
        for party in Counterparty.objects.all():
            found.by_name.setdefault(party.name_key, []).append(party)
            if party.vat_key:
                found.by_vat.setdefault(party.vat_key, []).append(party)
        for c in Commitment.objects.all():
            found.commitments.setdefault(normalise_name(c.name), []).append(c)
        return found


def _valid_lines(
    reader: csv.DictReader, lookups: _Lookups, outcome: Outcome
) -> list[tuple[int, CostInvoiceForm]]:
    """The valid lines' forms; every wrong line's reasons go to ``outcome.errors``."""
    forms: list[tuple[int, CostInvoiceForm]] = []
    seen: dict[tuple[int, str], int] = {}
    for row in reader:
        line = reader.line_num
        if None in row:
            outcome.errors.append((line, "more cells than columns in the header"))
            continue
        values = {k: (v or "").strip() for k, v in row.items()}
        if not any(values.values()):
            continue
        form, problems = _line_form(values, lookups)
        if form is not None and not problems:
            key = (int(form.data["counterparty"]), values["number"])
            if key in seen:
                problems = [f"number: {values['number']!r} of this counterparty is also on line {seen[key]}"]
            else:
                seen[key] = line
                forms.append((line, form))
        outcome.errors.extend((line, problem) for problem in problems)
    return forms


def _line_form(values: dict[str, str], lookups: _Lookups) -> tuple[CostInvoiceForm | None, list[str]]:
    """The web form filled from one line, and what is wrong with the line."""
    party, problem = _party(values, lookups.by_name, lookups.by_vat)
    if problem or party is None:
        return None, [problem or "counterparty: not found"]
    commitment_id = ""
    if values.get("commitment"):
        found = lookups.commitments.get(normalise_name(values["commitment"]), [])
        if len(found) != 1:
            how_many = "no" if not found else "more than one"
            return None, [f"commitment: {how_many} commitment named {values['commitment']!r}"]
        commitment_id = str(found[0].pk)
    form = CostInvoiceForm(
        data={
            "counterparty": str(party.pk),
            "number": values["number"],
            "document_date": values["document_date"],
            "receipt_date": values.get("receipt_date", ""),
            "due_date": values.get("due_date", ""),
            "net": values["net"],
            "vat": values["vat"],
            "gross": values["gross"],
            "currency": values["currency"],
            "commitment": commitment_id,
            "tag_names": values.get("tags", "").replace(";", ","),
            "notes": values.get("notes", ""),
        }
    )
    if form.is_valid():
        return form, []
    return form, [
        error if name == "__all__" else f"{name}: {error}"
        for name, errors in form.errors.items()
        for error in errors
    ]


def _save(forms: list[tuple[int, CostInvoiceForm]], outcome: Outcome) -> None:
    """Save every line in one transaction; roll back on a late failure or a dry run."""
    outcome.count = len(forms)
    try:
        with transaction.atomic():
            for line, form in forms:
                try:
                    with transaction.atomic():
                        inv: CostInvoice = form.save()
                except IntegrityError as exc:
                    outcome.errors.append((line, f"not saved: {str(exc).splitlines()[0][:200]}"))
                    continue
                outcome.created.append(inv.pk)
                outcome.net_base += inv.net_base
            if outcome.errors or outcome.dry_run:
                raise _Rollback
    except _Rollback:
        outcome.created = []
        if outcome.errors:
            outcome.count = 0


class _Rollback(Exception):
    """Leaves the import's transaction without saving (dry run, or a line failed late)."""


def _party(values: dict, by_name: dict, by_vat: dict) -> tuple[Counterparty | None, str | None]:
    vat = values.get("vat_id", "")
    if vat:
        found = by_vat.get(normalise_vat_id(vat), []) or [
            p for ps in by_vat.values() for p in ps if normalise_vat_id(vat, p.country) == p.vat_key
        ]
        if len(found) == 1:
            return found[0], None
        if len(found) > 1:
            return (
                None,
                f"vat_id: more than one counterparty has the VAT id {vat!r}; the counterparty column decides",
            )
    name = values.get("counterparty", "")
    if not name:
        return None, "counterparty: empty"
    found = by_name.get(normalise_name(name), [])
    if len(found) == 1:
        return found[0], None
    if not found:
        return None, f"counterparty: no counterparty named {name!r}; create it first (Costs › Counterparties)"
    return None, f"counterparty: more than one counterparty named {name!r}; add the vat_id column"
