"""Score extraction against a labelled folder laid out like sroie-dev: img/NNN.jpg, key/NNN.json, box/NNN.csv.

Matching rules (the dataset README's): vendor and address equal after collapsing whitespace and upper-casing;
date the same calendar day (the key's printed date read day-first unless impossible); total the same amount to
the cent. Precision = correct / predicted, recall = correct / gold, both over labelled fields only (a field whose
key is empty is not scored). Pure functions: ocr.labelled reads the folders, ocr.validation makes the figures honest.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterable, Sequence

from rapidfuzz.distance import Levenshtein

from ocr import catalogue
from ocr.catalogue import Kind
from ocr.parse import amounts_in, dates_in, normalize_text, parse_amount, parse_date


def scored_fields() -> tuple[str, ...]:
    """Our names of the fields a labelled folder's keys hold (ocr.catalogue: FieldSpec.scored_as)."""
    return tuple(catalogue.FIELDS.scored.values())


def _kind(name: str) -> Kind:
    spec = catalogue.FIELDS.get(name)
    if spec is None:
        raise ValueError(f"unknown field {name}")
    return spec.kind


# --- pure scoring -------------------------------------------------------------------------------

def gold_amount(text: str) -> Decimal | None:
    """The key's total as printed ('RM 8.60', '$6.60', '21.70', '1,234.00') -> Decimal, or None."""
    value = parse_amount(text or "", require_decimals=False)
    return value


def gold_date(text: str):
    """The key's printed date, day-first unless impossible (also '20180304' and 'OCT 3, 2016')."""
    return parse_date(text or "", date_order="DMY", today=None)


def field_correct(name: str, gold: str, predicted: str | None) -> bool:
    """Whether a predicted value (our normalized form) matches the key's printed value."""
    if predicted is None or predicted == "":
        return False
    kind = _kind(name)
    if kind is Kind.TEXT:
        return normalize_text(gold) == normalize_text(predicted)
    if kind is Kind.DATE:
        expected = gold_date(gold)
        return expected is not None and expected.isoformat() == predicted.strip()
    if kind is Kind.AMOUNT:
        expected = gold_amount(gold)
        got: Decimal | None
        try:
            got = Decimal(predicted.strip())
        except ArithmeticError:
            got = parse_amount(predicted, require_decimals=False)
        return expected is not None and got is not None and expected == got
    raise ValueError(f"no scoring rule for {kind} fields ({name})")


def readable(name: str, gold: str, ocr_text: str) -> bool:
    """Whether the OCR text contains the key's value at all: the ceiling any field extraction can reach."""
    if not gold.strip():
        return False
    kind = _kind(name)
    if kind is Kind.TEXT:
        return normalize_text(gold) in normalize_text(ocr_text)
    if kind is Kind.DATE:
        expected = gold_date(gold)
        return expected is not None and any(value == expected for value, _ in dates_in(ocr_text, today=None))
    if kind is Kind.AMOUNT:
        expected = gold_amount(gold)
        return expected is not None and any(value == expected for value, _ in amounts_in(ocr_text))
    raise ValueError(f"no scoring rule for {kind} fields ({name})")


def character_error_rate(expected: str, got: str) -> float:
    """Levenshtein distance over the expected length, after collapsing whitespace."""
    a, b = " ".join(expected.split()), " ".join(got.split())
    return Levenshtein.distance(a, b) / max(1, len(a))


def percentile(values: Sequence[float], q: float) -> float | None:
    """Linear-interpolated percentile (q in 0..100); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@dataclass
class ReceiptResult:
    name: str
    gold: dict[str, str]  # our field name -> the key's printed value ('' when unlabelled)
    predicted: dict[str, str | None]
    raw: dict[str, str | None] = field(default_factory=dict)
    cer: float | None = None
    seconds: float = 0.0
    pages: int = 1
    error: str | None = None
    in_text: dict[str, bool] = field(default_factory=dict)  # the key's value appears in the OCR text
    flagged: frozenset[str] = frozenset()  # fields a flag of the extraction names: what a reviewer is told to check
    reading: tuple[Any, Any] | None = field(default=None, repr=False)  # (pages, extraction), for the replay

    def correct(self, name: str) -> bool | None:
        """True/False for a labelled field, None when the key leaves it empty."""
        gold = self.gold.get(name, "")
        if not gold.strip():
            return None
        return field_correct(name, gold, self.predicted.get(name))


@dataclass
class Summary:
    receipts: int
    accuracy: dict[str, float]
    precision: float
    recall: float
    f1: float
    cer: float | None
    seconds_p50: float | None
    seconds_p95: float | None
    errors: int
    ceiling: dict[str, float] = field(default_factory=dict)  # share of labelled values present in the OCR text
    # per field, (share of mistakes a flag points at, share of correct values flagged all the same): how far a
    # reviewer can trust an unflagged value, and how many good values they are sent to check for nothing
    flags: dict[str, tuple[float | None, float | None]] = field(default_factory=dict)
    flags_overall: tuple[float | None, float | None] = (None, None)  # the same over every scored field


def summarize(results: Sequence[ReceiptResult], fields: Iterable[str] | None = None) -> Summary:
    fields = scored_fields() if fields is None else tuple(fields)
    accuracy, correct_total, predicted_total, gold_total, ceiling, flags = {}, 0, 0, 0, {}, {}
    for name in fields:
        labelled = [r for r in results if r.correct(name) is not None]
        read = [r for r in labelled if r.error is None]  # a receipt that failed has no flags to judge
        flags[name] = (_share_flagged([r for r in read if not r.correct(name)], name),
                       _share_flagged([r for r in read if r.correct(name)], name))
        ceiling[name] = sum(1 for r in labelled if r.in_text.get(name)) / len(labelled) if labelled else 0.0
        correct = sum(1 for r in labelled if r.correct(name))
        accuracy[name] = correct / len(labelled) if labelled else 0.0
        correct_total += correct
        gold_total += len(labelled)
        predicted_total += sum(1 for r in labelled if r.predicted.get(name))
    judged = [(r, name) for r in results if r.error is None for name in fields if r.correct(name) is not None]
    overall = (_share([name in r.flagged for r, name in judged if not r.correct(name)]),
               _share([name in r.flagged for r, name in judged if r.correct(name)]))
    precision = correct_total / predicted_total if predicted_total else 0.0
    recall = correct_total / gold_total if gold_total else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    cers = [r.cer for r in results if r.cer is not None]
    per_page = [r.seconds / max(1, r.pages) for r in results if r.error is None]
    return Summary(len(results), accuracy, precision, recall, f1, sum(cers) / len(cers) if cers else None,
                   percentile(per_page, 50), percentile(per_page, 95), sum(1 for r in results if r.error), ceiling,
                   flags, overall)


def _share(flags: Sequence[bool]) -> float | None:
    return sum(flags) / len(flags) if flags else None


def _share_flagged(results: Sequence[ReceiptResult], name: str) -> float | None:
    return _share([name in r.flagged for r in results])


def _fmt(value: float | None, digits: int = 3) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def _accuracy(name: str, summary: Summary) -> str:
    return _fmt(summary.accuracy[name])


def _ceiling(name: str, summary: Summary) -> str:
    return _fmt(summary.ceiling.get(name))


def _flagged(name: str, summary: Summary) -> str:
    return " / ".join(_fmt(share, 2) for share in summary.flags.get(name, (None, None)))


def summary_table(summaries: dict[str, Summary]) -> str:
    """Markdown table, one column per named subset (e.g. 'all', 'tune 0-49', 'holdout 50-99')."""
    names = list(summaries)
    lines = ["| metric | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    first = next(iter(summaries.values()))
    rows: list[tuple[str, Callable[[Summary], str]]] = [("receipts", lambda s: str(s.receipts))]
    rows += [(f"accuracy {name}", functools.partial(_accuracy, name)) for name in first.accuracy]
    rows += [(f"in OCR text {name}", functools.partial(_ceiling, name)) for name in first.accuracy]
    rows += [(f"flagged: mistakes / correct values, {name}", functools.partial(_flagged, name))
             for name in first.accuracy]
    rows += [("flagged: mistakes / correct values, all fields",
              lambda s: " / ".join(_fmt(share, 2) for share in s.flags_overall))]
    rows += [("precision", lambda s: _fmt(s.precision)), ("recall", lambda s: _fmt(s.recall)),
             (f"**F1 ({len(first.accuracy)} fields)**", lambda s: f"**{_fmt(s.f1)}**"),
             ("OCR CER (vs box text)", lambda s: _fmt(s.cer)),
             ("s/page p50", lambda s: _fmt(s.seconds_p50, 2)), ("s/page p95", lambda s: _fmt(s.seconds_p95, 2)),
             ("errors", lambda s: str(s.errors))]
    for label, render in rows:
        lines.append(f"| {label} | " + " | ".join(render(summaries[n]) for n in names) + " |")
    return "\n".join(lines)


def _cell(text: str | None) -> str:
    if text is None:
        return "—"
    return " ".join(str(text).split()).replace("|", "\\|")[:120] or "—"


def mistakes_table(results: Sequence[ReceiptResult], fields: Iterable[str] | None = None) -> str:
    fields = scored_fields() if fields is None else tuple(fields)
    lines = ["| receipt | field | expected | got | raw | flagged |", "|---|---|---|---|---|---|"]
    for result in results:
        if result.error:
            lines.append(f"| {result.name} | (error) | | | {_cell(result.error)} | |")
            continue
        for name in fields:
            if result.correct(name) is False:
                lines.append(f"| {result.name} | {name} | {_cell(result.gold.get(name))} | "
                             f"{_cell(result.predicted.get(name))} | {_cell(result.raw.get(name))} | "
                             f"{'yes' if name in result.flagged else 'no'} |")
    return "\n".join(lines)


def render_report(summaries: dict[str, Summary], results: Sequence[ReceiptResult], *, title: str = "Field extraction",
                  command: str = "", notes: Sequence[str] = ()) -> str:
    """The summary table, `notes` (how the figures were made), and every mistake of `results`."""
    parts = [f"# {title}", ""]
    if command:
        parts += ["```", command, "```", ""]
    parts += [summary_table(summaries), "", *notes, "",
              "## Mistakes (expected, got, raw OCR text, whether a flag pointed at it)", "",
              mistakes_table(results), ""]
    return "\n".join(parts)


def reading_scores(gold: dict[str, str], ocr_text: str, box: str) -> tuple[float | None, dict[str, bool]]:
    """The OCR's character error rate against a folder's line transcriptions (None without them), and which of the
    key's values are in the OCR text at all."""
    cer = character_error_rate(box, ocr_text) if box else None
    return cer, {name: readable(name, gold.get(name, ""), ocr_text) for name in scored_fields()}


# --- labelled folders ---------------------------------------------------------------------------

def load_gold(key_path: Path) -> dict[str, str]:
    data = json.loads(Path(key_path).read_text(encoding="utf-8"))
    return {ours: str(data.get(theirs) or "") for theirs, ours in catalogue.FIELDS.scored.items()}


def box_rows(box_path: Path) -> list[list[str]]:
    """The rows of a box CSV as their nine fields: x1,y1,...,x4,y4 and the text (which may itself contain commas)."""
    rows = [row.split(",", 8) for row in Path(box_path).read_text(encoding="utf-8", errors="replace").splitlines()]
    return [parts for parts in rows if len(parts) == 9]


def box_text(box_path: Path) -> str:
    """The labelled text lines of a box CSV."""
    return "\n".join(parts[8] for parts in box_rows(box_path))


def list_receipts(dataset: Path, *, start: int = 0, limit: int | None = None) -> list[Path]:
    images = sorted(p for p in (Path(dataset) / "img").iterdir() if p.suffix.lower() in {".jpg", ".jpeg", ".png",
                                                                                        ".tif", ".tiff", ".pdf"})
    images = images[start:]
    return images[:limit] if limit is not None else images


def flagged_fields(extraction) -> frozenset[str]:
    """The fields a flag asks the reviewer to check (low confidence, missing, a total that does not add up ...);
    a note on where a value came from (a vendor recalled from an approved receipt) is no doubt about it."""
    return frozenset(name for flag in extraction.flags if not flag.is_note for name in flag.fields)
