"""How sure the fields read by their label are, against what the labelled folders' transcriptions (box/) print: the
measurements the label-read fields' confidences are set from.

    .venv/bin/python bench/label_confidence.py ../shared/datasets/sroie-dev ../shared/datasets/sroie-train --cache DIR

The keys give none of these fields, but each receipt's transcription is its text as a person read it, line by line
with boxes. Two measurements, both over the shipped model and the real pipeline's readings (`--cache`: as
`cli.py eval --cache`):

- the time of day, against the one time a transcription holds (receipts printing none or several are left out), by
  the confidence it was given (ocr.fields.dates.TIME_BY_DATE_OR_LABEL, TIME_ELSEWHERE);
- every other field read by its label, against the same extraction run on the transcription's lines (so it measures
  the reading, as the review flag "the reading is uncertain" says), by field and confidence: the share where the two
  agree (ocr.fields.select.LABEL_CONFIDENCE).
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ocr.config import ExtractionConfig  # noqa: E402
from ocr.evaluate import box_rows  # noqa: E402
from ocr.fields.extract import extract_fields  # noqa: E402
from ocr.parse import times_in  # noqa: E402
from ocr.types import BoundingBox, PageResult, Word  # noqa: E402
from services import learning  # noqa: E402
from settings import get_settings  # noqa: E402

LABEL_READ = ("vendor_phone", "vendor_tax_id", "receipt_number", "payment_method", "subtotal", "tax", "rounding",
              "currency")


def transcribed_page(box: Path, like: PageResult) -> PageResult:
    """The transcription's lines as a page of words (each line's box shared out by the words' lengths), read surely."""
    words = []
    for number, parts in enumerate(box_rows(box), start=1):
        if not parts[8].split():
            continue
        try:
            xs, ys = [int(parts[i]) for i in (0, 2, 4, 6)], [int(parts[i]) for i in (1, 3, 5, 7)]
        except ValueError:
            continue
        tokens = parts[8].split()
        width, share = max(1, max(xs) - min(xs)), sum(len(t) + 1 for t in tokens)
        left = min(xs)
        for token in tokens:
            step = max(1, width * (len(token) + 1) // share)
            words.append(Word(token, 0.99, BoundingBox(left, min(ys), max(1, step - 2), max(1, max(ys) - min(ys))),
                              line=number))
            left += step
    return PageResult(index=0, width=like.width, height=like.height, words=tuple(words))


def _table(read: Counter, right: Counter, what: str) -> None:
    print(f"| {what} | confidence | read | agree | share |\n|---|---|---|---|---|")
    for key in sorted(read, key=lambda k: (k[0], -k[1])):
        n, good = read[key], right[key]
        print(f"| {key[0]} | {key[1]} | {n} | {good} | {good / n:.3f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("datasets", type=Path, nargs="+")
    parser.add_argument("--cache", type=Path, help="keep or reuse the readings (as `cli.py eval --cache`)")
    parser.add_argument("--processes", type=int, default=2)
    args = parser.parse_args()
    config: ExtractionConfig = get_settings().ocr_config().extraction
    folders = {dataset.name: dataset for dataset in args.datasets}
    receipts = learning.read_folders(args.datasets, get_settings().ocr_config(), cache=args.cache,
                                     workers=args.processes, progress=lambda line: print(line, file=sys.stderr))
    times, times_right, fields, fields_right = Counter(), Counter(), Counter(), Counter()
    for folder in receipts:
        pages = list(folder.receipt.pages)
        read = extract_fields(pages, config).fields
        printed = {value for line in folder.box_text.splitlines() for value, _ in times_in(line)}
        if len(printed) == 1 and "time" in read:
            times[("time", read["time"].confidence)] += 1
            times_right[("time", read["time"].confidence)] += read["time"].value in printed
        dataset, image = folder.receipt.name.split("/", 1)
        box = folders[dataset] / "box" / f"{Path(image).stem}.csv"
        if not box.exists() or not pages:
            continue
        transcribed = extract_fields([transcribed_page(box, pages[0])], config).fields
        for name in LABEL_READ:
            if name in read and read[name].value:
                key = (name, round(read[name].confidence, 1))
                fields[key] += 1
                fields_right[key] += name in transcribed and transcribed[name].value == read[name].value
    print(f"{len(receipts)} receipts\n")
    _table(times, times_right, "time, against the one time printed")
    print()
    _table(fields, fields_right, "field, against its reading of the transcription (confidence to 0.1)")


if __name__ == "__main__":
    main()
