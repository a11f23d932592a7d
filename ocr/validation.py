"""Honest figures for a trained extractor: cross-validation over labelled receipts, folds grouped by shop.

Half the shops with several receipts are spread over the folds, so that a receipt in a validation fold may come
from a shop the model saw in training ('seen'); every other shop falls whole into one fold, so that its receipts
are validated by a model that never saw it ('unseen'). Every receipt is validated exactly once, by the model of
the folds it is not in; nothing is fitted on it. The replay then reads the receipts again in name order with the
vendor memory of the ones before, as if a reviewer had approved each right after it was read.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable, Sequence

import numpy as np

from ocr.config import ExtractionConfig
from ocr.evaluate import ReceiptResult, flagged_fields, scored_fields
from ocr.fields.extract import extract_fields
from ocr.fields.ranker import Ranker
from ocr.fields.training import LabelledReceipt, Prepared, family_data, fit
from ocr.types import Extraction
from ocr.vendors import KnownVendor, header_text, recall_vendor


@dataclass(frozen=True)
class Validated:
    """One receipt's result, whether its shop was in the training folds, and the model that read it."""

    result: ReceiptResult
    seen: bool
    ranker: Ranker


def validation_folds(groups: Sequence[str], folds: int, seed: int) -> list[int]:
    """The fold of each receipt (see the module's docstring)."""
    rng = np.random.default_rng(seed)
    shops = sorted(set(groups))
    rng.shuffle(shops)
    split = set([shop for shop in shops if groups.count(shop) >= 2][::2])
    whole = {shop: k % folds for k, shop in enumerate(s for s in shops if s not in split)}
    fold, spread = [], 0
    for shop in groups:
        if shop in split:
            fold.append(spread % folds)
            spread += 1
        else:
            fold.append(whole[shop])
    return fold


def result_of(receipt: LabelledReceipt, extraction: Extraction) -> ReceiptResult:
    fields, scored = extraction.fields, scored_fields()
    return ReceiptResult(receipt.name, {name: receipt.truth.get(name, "") for name in scored},
                         {name: fields[name].value if name in fields else None for name in scored},
                         {name: fields[name].raw if name in fields else None for name in scored},
                         flagged=flagged_fields(extraction), reading=(receipt.pages, extraction))


def cross_validate(prepared: Sequence[Prepared], config: ExtractionConfig, *, folds: int = 5, seed: int = 0,
                   progress: Callable[[str], None] | None = None) -> list[Validated]:
    """Each receipt read by a model trained on the other folds, in the order given."""
    groups = [p.receipt.group for p in prepared]
    fold = validation_folds(groups, folds, seed)
    validated: dict[int, Validated] = {}
    for k in range(folds):
        if k not in fold:
            continue  # fewer shops than folds
        train = [p for p, f in zip(prepared, fold, strict=True) if f != k]
        ranker = fit(family_data(train), seed, {})
        seen = {p.receipt.group for p in train}
        for i in (i for i, f in enumerate(fold) if f == k):
            extraction = extract_fields(prepared[i].receipt.pages, config, ranker)
            validated[i] = Validated(result_of(prepared[i].receipt, extraction), groups[i] in seen, ranker)
        if progress:
            progress(f"fold {k + 1} of {folds}: trained on {len(train)} receipts, validated {fold.count(k)}")
    return [validated[i] for i in range(len(prepared))]


def replay(prepared: Sequence[Prepared], validated: Sequence[Validated], config: ExtractionConfig) -> list[Validated]:
    """The receipts read again in order, each with the vendor memory of those before it (their truths approved)."""
    known: list[KnownVendor] = []
    replayed = []
    for number, (item, done) in enumerate(zip(prepared, validated, strict=True)):
        pages = item.receipt.pages
        extraction = done.result.reading[1] if done.result.reading else extract_fields(pages, config, done.ranker)
        extraction = recall_vendor(extraction, pages, known, config, done.ranker)
        replayed.append(replace(done, result=result_of(item.receipt, extraction)))
        if item.receipt.truth.get("vendor") and pages:
            truth = item.receipt.truth
            known.append(KnownVendor(number, truth["vendor"], truth.get("vendor_address") or None,
                                     header_text(pages[0].text), item.remembered))
    return replayed
