"""Training the field ranker and measuring it honestly, from labelled folders (cli.py train / cli.py eval).

Labelled receipts come from a source (ocr.labelled.folder_receipts here; approved documents can be another) as
`LabelledReceipt`s; everything after that is the same for any source: read once, cross-validated with folds grouped
by shop (ocr.validation), then fitted on all of them (ocr.fields.training) and saved with a card that records the
command, the seed, the split and the figures.
"""

from __future__ import annotations

import functools
import platform
import time
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Sequence

from ocr.config import OcrConfig
from ocr.evaluate import ReceiptResult, Summary, reading_scores, render_report, summarize
from ocr.fields import extract_fields
from ocr.fields.ranker import Ranker
from ocr.fields.training import Prepared, family_data, fit, prepare
from ocr.labelled import FolderReceipt, folder_receipts
from ocr.types import PageResult
from ocr.validation import Validated, cross_validate, replay, result_of, validation_folds

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Evaluation:
    receipts: list[FolderReceipt]
    validated: list[Validated]  # read cold by a model of the other folds
    replayed: list[Validated]  # read again with the vendor memory of the receipts before

    def summaries(self) -> dict[str, Summary]:
        """The figures: overall, shops seen in training, shops never seen, and each folder when there are several;
        cold and with the vendor memory."""
        folders = sorted({folder_of(v.result.name) for v in self.validated})
        columns = {}
        for label, results in (("", self.validated), ("replay ", self.replayed)):
            columns[f"{label}all"] = summarize([v.result for v in results])
            columns[f"{label}seen shops"] = summarize([v.result for v in results if v.seen])
            columns[f"{label}unseen shops"] = summarize([v.result for v in results if not v.seen])
            for folder in folders if len(folders) > 1 else ():
                columns[f"{label}{folder}"] = summarize([v.result for v in results
                                                         if folder_of(v.result.name) == folder])
        return columns


def folder_of(name: str) -> str:
    """The folder a labelled receipt's name ('sroie-dev/002.jpg') comes from."""
    return name.split("/", 1)[0]


def _read(config: OcrConfig, data: bytes) -> tuple[Sequence[PageResult], float]:
    from ocr.pipeline import read_document

    start = time.perf_counter()
    reading = read_document(data, config=config, keep_images=False)
    return reading.pages, time.perf_counter() - start


def read_folders(folders: Sequence[Path], config: OcrConfig, *, cache: Path | None, workers: int,
                 progress: Progress) -> list[FolderReceipt]:
    """Every labelled receipt of the folders, read by the real pipeline (or taken from the cache)."""
    def report(done: int, total: int) -> None:
        if done == total or done % 25 == 0:
            progress(f"read {done} of {total} receipts")

    return folder_receipts(folders, functools.partial(_read, config), reading=config.reading, cache=cache,
                           workers=workers, progress=report)


def with_reading_scores(result: ReceiptResult, folder: FolderReceipt) -> ReceiptResult:
    """`result` with what its reading cost and how far the OCR text went (CER, values in the text)."""
    text = "\n".join(page.text for page in folder.receipt.pages)
    cer, in_text = reading_scores(result.gold, text, folder.box_text)
    return replace(result, cer=cer, in_text=in_text, seconds=folder.seconds, pages=max(1, len(folder.receipt.pages)))


def _with_reading_scores(validated: list[Validated], receipts: list[FolderReceipt]) -> list[Validated]:
    return [replace(item, result=with_reading_scores(item.result, folder))
            for item, folder in zip(validated, receipts, strict=True)]


def model_results(receipts: list[FolderReceipt], config: OcrConfig, ranker: Ranker | None = None
                  ) -> list[ReceiptResult]:
    """Each receipt's fields as the shipped model (or `ranker`) reads them, no cross-validation: for comparing two
    readings of the same receipts under one model (bench/photo_accuracy.py: photos against their scans)."""
    return [with_reading_scores(result_of(r.receipt, extract_fields(list(r.receipt.pages), config.extraction, ranker)),
                                r)
            for r in receipts]


def held_out_ranker(receipts: list[FolderReceipt], shops: set[str], config: OcrConfig, *, seed: int) -> Ranker:
    """A ranker fitted, in memory, on the receipts of every shop but `shops`: one that never saw the receipts it is
    about to read (the shipped model is trained on the labelled folders themselves)."""
    kept = [r.receipt for r in receipts if r.receipt.group not in shops]
    return fit(family_data(prepare(kept, config.extraction)), seed,
               {"held_out_shops": sorted(shops), "receipts": len(kept)})


def evaluate(receipts: list[FolderReceipt], config: OcrConfig, *, folds: int, seed: int,
             progress: Progress) -> tuple[Evaluation, list[Prepared]]:
    prepared = prepare([r.receipt for r in receipts], config.extraction,
                       progress=lambda n: progress(f"prepared {n} receipts") if n % 100 == 0 else None)
    validated = _with_reading_scores(cross_validate(prepared, config.extraction, folds=folds, seed=seed,
                                                    progress=progress), receipts)
    replayed = _with_reading_scores(replay(prepared, validated, config.extraction), receipts)
    return Evaluation(receipts, validated, replayed), prepared


SPLIT_NOTE = ("Cross-validated: folds grouped by shop (the key's company); half the shops with several receipts are "
              "spread over the folds ('seen shops': a model of the other folds saw the shop), every other shop is "
              "validated by a model that never saw it ('unseen shops'). 'replay': read again in order with the "
              "vendor memory of the receipts before, as if each had been approved right after it was read.")


def report(evaluation: Evaluation, command: str) -> str:
    """The markdown report: the figures, how they were made, every mistake of the cold reading."""
    return render_report(evaluation.summaries(), [v.result for v in evaluation.validated], command=command,
                         notes=[SPLIT_NOTE])


def card(evaluation: Evaluation, *, command: str, seed: int, folds: int, folders: Sequence[Path]) -> dict:
    """What a model file says of itself: how to rebuild it, on what, and how it measured."""
    import lightgbm

    names = [r.receipt.name for r in evaluation.receipts]
    fold = validation_folds([r.receipt.group for r in evaluation.receipts], folds, seed)
    figures = {column: {"receipts": s.receipts, "f1": round(s.f1, 3),
                        "accuracy": {name: round(value, 3) for name, value in s.accuracy.items()},
                        "flagged_mistakes": s.flags_overall[0], "flagged_correct": s.flags_overall[1]}
               for column, s in evaluation.summaries().items()}
    return {"command": command, "seed": seed, "folds": folds, "folders": [str(f) for f in folders],
            "receipts": len(names), "shops": len({r.receipt.group for r in evaluation.receipts}),
            "trained": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "lightgbm": lightgbm.__version__, "python": platform.python_version(),
            "validation_fold": dict(zip(names, fold, strict=True)), "figures": figures}


def train(prepared: Sequence[Prepared], evaluation: Evaluation, out: Path, *, seed: int, folds: int,
          folders: Sequence[Path], command: str, progress: Progress) -> Ranker:
    """The ranker fitted on every receipt, saved to `out` with its card."""
    progress(f"fitting on all {len(prepared)} receipts")
    ranker = fit(family_data(prepared), seed, card(evaluation, command=command, seed=seed, folds=folds,
                                                   folders=folders))
    out.parent.mkdir(parents=True, exist_ok=True)
    ranker.save(out)
    return ranker
