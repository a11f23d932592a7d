"""How often the time of day read is the receipt's, by the confidence it was given: the calibration of
ocr.fields.dates.TIME_BY_DATE_OR_LABEL and TIME_ELSEWHERE.

    .venv/bin/python bench/time_confidence.py ../shared/datasets/sroie-dev ../shared/datasets/sroie-train --cache DIR

The keys give no time, but the transcriptions beside them (box/) print it: a receipt whose transcription holds one
time of day (and not several) is scored against it. Each receipt is read by the real pipeline (`--cache`: as
`cli.py eval --cache`) and its fields by the shipped model.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ocr.fields.extract import extract_fields  # noqa: E402
from ocr.parse import times_in  # noqa: E402
from services import learning  # noqa: E402
from settings import get_settings  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("datasets", type=Path, nargs="+")
    parser.add_argument("--cache", type=Path, help="keep or reuse the readings (as `cli.py eval --cache`)")
    parser.add_argument("--processes", type=int, default=2)
    args = parser.parse_args()
    config = get_settings().ocr_config()
    receipts = learning.read_folders(args.datasets, config, cache=args.cache, workers=args.processes,
                                     progress=lambda line: print(line, file=sys.stderr))
    read, right, unscored, missing = Counter(), Counter(), 0, 0
    for folder in receipts:
        printed = {value for line in folder.box_text.splitlines() for value, _ in times_in(line)}
        if len(printed) != 1:
            unscored += 1
            continue
        time = extract_fields(list(folder.receipt.pages), config.extraction).fields.get("time")
        if time is None:
            missing += 1
            continue
        read[time.confidence] += 1
        right[time.confidence] += time.value in printed
    print(f"{len(receipts)} receipts: {unscored} print no single time, {missing} of the rest gave none")
    print("| confidence | times read | right | share right |\n|---|---|---|---|")
    for confidence in sorted(read, reverse=True):
        n, good = read[confidence], right[confidence]
        print(f"| {confidence} | {n} | {good} | {good / n:.3f} |")


if __name__ == "__main__":
    main()
