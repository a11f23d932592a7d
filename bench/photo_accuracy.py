"""Phone photos against their scans: field F1, how well the receipt is found, and what the photo step costs.

    flock /tmp/docdesk-bench.lock .venv/bin/python bench/photo_accuracy.py \\
        ../shared/datasets/sroie-dev ../shared/datasets/sroie-train --per-folder 30 --seed 18

For each folder, `--per-folder` receipts are drawn (seeded) and each scan is photographed once by
tests/photos.py under its own randomly drawn conditions (desk, camera tilt, turn up to 15 degrees, shadow, warm
tint, blur, noise, JPEG quality). The photos and the scans are read by the real pipeline and scored by
ocr/evaluate.py against the same keys, their fields read by a model trained on the folders without the picked
receipts' shops (the shipped model is trained on these scans: `--shipped-model` reads with it, in-sample; `--cache`
reuses `cli.py eval`'s readings for that training). Also reported: the found corners against the true ones, the
photo step's milliseconds on the photos, the extra seconds a photo costs end to end, and the step's cost on every
scan of the folders (where it must change nothing). Timings depend on the machine's load: run it under the bench lock.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("OMP_THREAD_LIMIT", "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from ocr import evaluate, labelled, photo  # noqa: E402
from ocr.config import OcrConfig  # noqa: E402
from ocr.fields.ranker import Ranker  # noqa: E402
from ocr.load import load_pages  # noqa: E402
from services import learning  # noqa: E402
from settings import get_settings  # noqa: E402
from tests import photos  # noqa: E402


def pick(dataset: Path, count: int, seed: int) -> list[Path]:
    """`count` receipts of the folder, drawn with `seed` (the same ones on every run)."""
    images = evaluate.list_receipts(dataset)
    rng = np.random.default_rng(seed)
    chosen = rng.choice(len(images), size=min(count, len(images)), replace=False)
    return [images[i] for i in sorted(chosen)]


def _link_labels(scan: Path, folder: Path) -> None:
    for kind, suffix in (("key", ".json"), ("box", ".csv")):
        source = scan.parent.parent / kind / f"{scan.stem}{suffix}"
        if source.exists():
            (folder / kind).mkdir(parents=True, exist_ok=True)
            (folder / kind / source.name).symlink_to(source.resolve())


def make_photos(scans: list[Path], work: Path, seed: list[int], config: OcrConfig) -> dict[str, dict]:
    """Write work/scans (links to the scans) and work/photos (one photo of each), labels linked beside both.
    Returns per receipt: the conditions, the true corners, and what the photo step found on the photo alone."""
    found = {}
    for number, scan in enumerate(scans):
        for name in ("scans", "photos"):
            (work / name / "img").mkdir(parents=True, exist_ok=True)
            _link_labels(scan, work / name)
        (work / "scans" / "img" / scan.name).symlink_to(scan.resolve())
        rng = np.random.default_rng([*seed, number])
        shot = photos.photograph(np.asarray(Image.open(scan).convert("RGB")), photos.random_conditions(rng))
        data = shot.jpeg()
        (work / "photos" / "img" / f"{scan.stem}.jpg").write_bytes(data)
        page = next(load_pages(data, config.limits))
        scale = page.image.shape[1] / shot.image.shape[1]  # the loader decodes very large JPEGs at 1/2 or 1/4
        start = time.perf_counter()
        _, details = photo.flatten_photo(page.image)
        ms = (time.perf_counter() - start) * 1000
        corners = np.array(details["corners"], float) / scale if "corners" in details else None
        error = float(np.abs(corners - shot.corners).max()) if corners is not None else None
        found[scan.stem] = {"conditions": shot.conditions, "method": details.get("method", details.get("reason")),
                            "corner_error": error, "ms": ms, "scale": shot.scale}
    return found


def step_cost_on_scans(folders: list[Path], config: OcrConfig) -> dict:
    """The photo step alone on every scan of the folders (best of 3 each): milliseconds, and how many it changed."""
    times, changed, outcomes = [], [], Counter()
    for folder in folders:
        for path in evaluate.list_receipts(folder):
            page = next(load_pages(path.read_bytes(), config.limits))
            best = float("inf")
            for _ in range(3):
                start = time.perf_counter()
                out, details = photo.flatten_photo(page.image)
                best = min(best, (time.perf_counter() - start) * 1000)
            times.append(best)
            outcomes[details.get("method", details.get("reason"))] += 1
            if out is not page.image:
                changed.append(f"{folder.name}/{path.stem}")
    return {"times": times, "changed": changed, "outcomes": outcomes}


def _photo_ms(result: evaluate.ReceiptResult) -> float | None:
    if result.reading is None:
        return None
    return sum(t.ms for page in result.reading[0] for t in page.trace if t.name == "photo")


def _fmt(values: list[float], digits: int = 1) -> str:
    if not values:
        return "n/a"
    p50, p95 = evaluate.percentile(values, 50), evaluate.percentile(values, 95)
    return f"{p50:.{digits}f} / {p95:.{digits}f} / {max(values):.{digits}f}"


Pair = tuple[evaluate.ReceiptResult, evaluate.ReceiptResult, dict]  # the scan's result, the photo's, how it was made


def _lost_and_won(scan: evaluate.ReceiptResult, shot: evaluate.ReceiptResult) -> tuple[list[str], list[str]]:
    """The fields right on the scan but wrong on the photo, and those right on the photo only."""
    return ([name for name in evaluate.scored_fields() if scan.correct(name) and not shot.correct(name)],
            [name for name in evaluate.scored_fields() if shot.correct(name) and not scan.correct(name)])


def folder_report(label: str, pairs: list[Pair]) -> list[str]:
    """Lines about one folder's photos: how the receipt was found, the corner error, time, fields lost."""
    methods = Counter(made["method"] for _, _, made in pairs)
    errors = [made["corner_error"] for _, _, made in pairs if made["corner_error"] is not None]
    extra = [shot.seconds - scan.seconds for scan, shot, _ in pairs if shot.error is None and scan.error is None]
    step = [ms for ms in (_photo_ms(shot) for _, shot, _ in pairs) if ms is not None]
    lost, won = Counter(), Counter()
    for scan, shot, _ in pairs:
        lost_here, won_here = _lost_and_won(scan, shot)
        lost.update(lost_here)
        won.update(won_here)
    return [
        f"- **{label}**: found by {', '.join(f'{k} {v}' for k, v in methods.most_common())}; corner error px "
        f"(p50 / p95 / max, {len(errors)} found): {_fmt(errors)}",
        f"  photo step ms in the pipeline (p50 / p95 / max): {_fmt(step)}; seconds a photo took more than its "
        f"scan: mean {np.mean(extra):+.2f}, median {np.median(extra):+.2f}",
        f"  fields right on the scan but wrong on the photo: {dict(lost) or 'none'}; the other way: "
        f"{dict(won) or 'none'}",
    ]


def conditions_report(pairs: list[Pair]) -> list[str]:
    """Share of the fields right on the scan that the photo also got right, by desk, shadow and resolution."""
    kept: dict[str, list[int]] = {}
    for scan, shot, made in pairs:
        conditions, scale = made["conditions"], made["scale"]
        right = [name for name in evaluate.scored_fields() if scan.correct(name)]
        resolution = "under 1" if scale < 1 else "1 to 1.3" if scale < 1.3 else "1.3 or more"
        for group in (f"desk {conditions.background}", "shadow" if conditions.shadow else "no shadow",
                      f"photo px per scan px: {resolution}"):
            total = kept.setdefault(group, [0, 0])
            total[0] += sum(1 for name in right if shot.correct(name))
            total[1] += len(right)
    lines = ["| conditions | fields kept (of those right on the scan) |", "|---|---|"]
    lines += [f"| {group} | {a / b:.2f} ({a}/{b}) |" for group, (a, b) in sorted(kept.items()) if b]
    return lines


def receipts_table(pairs: list[Pair]) -> list[str]:
    """One row per photo: its conditions, how its receipt was found, and the fields it lost or won."""
    lines = ["| receipt | desk | turn | tilt | shadow | blur | scale | found | corner error px | lost | won |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for scan, shot, made in pairs:
        c = made["conditions"]
        lost, won = _lost_and_won(scan, shot)
        error = "—" if made["corner_error"] is None else f"{made['corner_error']:.0f}"
        lines.append(f"| {made['folder']}/{shot.name} | {c.background} | {c.turn:.0f} | {c.tilt[0]:.0f}, "
                     f"{c.tilt[1]:.0f} | {c.shadow:.2f} | {c.blur:.1f} | {made['scale']:.2f} | {made['method']} | "
                     f"{error} | {', '.join(lost)} | {', '.join(won)} |")
    return lines


def _scored(folder: Path, config: OcrConfig, processes: int, ranker: Ranker | None) -> list[evaluate.ReceiptResult]:
    """The folder's receipts read by the pipeline, their fields by `ranker` (None: the shipped model), named by their
    file's stem."""
    read = learning.read_folders([folder], config, cache=None, workers=processes, progress=lambda _: None)
    return [replace(result, name=Path(result.name).stem) for result in learning.model_results(read, config, ranker)]


def held_out(datasets: list[Path], picked: list[Path], config: OcrConfig, *, cache: Path | None, processes: int,
             seed: int) -> Ranker:
    """A model trained on the folders without the shops of the picked receipts, so that scans and photos are read by a
    model that saw neither (the shipped one is trained on these very scans: their F1 would be in-sample)."""
    receipts = learning.read_folders(datasets, config, cache=cache, workers=processes,
                                     progress=lambda line: print(line, file=sys.stderr))
    names = {labelled.receipt_name(path) for path in picked}
    shops = {r.receipt.group for r in receipts if r.receipt.name in names}
    print(f"training without the {len(shops)} shops of the {len(picked)} picked receipts", file=sys.stderr)
    return learning.held_out_ranker(receipts, shops, config, seed=seed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("datasets", type=Path, nargs="+")
    parser.add_argument("--per-folder", type=int, default=30)
    parser.add_argument("--seed", type=int, default=18)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--report", type=Path, help="also write the report (markdown) here")
    parser.add_argument("--shipped-model", action="store_true",
                        help="read with the shipped model (trained on these scans: in-sample) instead of one trained "
                             "without the picked receipts' shops")
    parser.add_argument("--cache", type=Path, help="readings of the folders' scans for the held-out model "
                                                   "(as `cli.py eval --cache`)")
    args = parser.parse_args()
    config = get_settings().ocr_config()  # as `cli.py eval` reads it (DOCDESK_* settings)
    picked = {dataset: pick(dataset, args.per_folder, args.seed) for dataset in args.datasets}
    ranker = None if args.shipped_model else held_out(
        args.datasets, [path for paths in picked.values() for path in paths], config, cache=args.cache,
        processes=args.processes, seed=args.seed)
    summaries, notes, pairs = {}, [], []
    with tempfile.TemporaryDirectory(prefix="docdesk-photos-") as tmp:
        for index, dataset in enumerate(args.datasets):
            work = Path(tmp) / dataset.name
            made = make_photos(picked[dataset], work, [args.seed, index], config)
            scans, shots = (_scored(work / name, config, args.processes, ranker) for name in ("scans", "photos"))
            assert [r.name for r in scans] == [r.name for r in shots]
            summaries[f"{dataset.name} scans"] = evaluate.summarize(scans)
            summaries[f"{dataset.name} photos"] = evaluate.summarize(shots)
            folder = [(scan, shot, {**made[shot.name], "folder": dataset.name})
                      for scan, shot in zip(scans, shots, strict=True)]
            notes += folder_report(dataset.name, folder)
            pairs += folder
    if len(args.datasets) > 1:
        summaries["all scans"] = evaluate.summarize([scan for scan, _, _ in pairs])
        summaries["all photos"] = evaluate.summarize([shot for _, shot, _ in pairs])
    cost = step_cost_on_scans(args.datasets, config)
    command = " ".join(["bench/photo_accuracy.py", *map(str, args.datasets), f"--per-folder {args.per_folder}",
                        f"--seed {args.seed}", *(["--shipped-model"] if args.shipped_model else [])])
    model = ("the shipped model (trained on these scans: in-sample)" if args.shipped_model else
             "a model trained without the picked receipts' shops (neither scans nor photos seen in training)")
    report = [f"# Phone photos against their scans\n\n```\n{command}\n```\n", f"Fields read by {model}.\n",
              evaluate.summary_table(summaries), "",
              *notes, "", *conditions_report(pairs), "",
              f"The photo step on all {len(cost['times'])} scans of the folders: ms p50 / p95 / max "
              f"{_fmt(cost['times'], 2)}, mean {np.mean(cost['times']):.2f}; {dict(cost['outcomes'])}; changed: "
              f"{', '.join(cost['changed']) or 'none'}.", "", "## Each photo", "", *receipts_table(pairs), ""]
    text = "\n".join(report)
    print(text)
    if args.report:
        args.report.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
