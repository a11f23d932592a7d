"""The review loop's speed, as a reviewer works it: clear processed documents by keyboard in Chromium.

    .venv/bin/python bench/review_speed.py [--documents 20] [--corrections 5]

On a fresh data folder: renders `--documents` receipts (tests/receipts.py: made-up shops, items and amounts, scanned
slightly turned and noisy), queues them with `cli.py ingest --wait` for a real worker (`cli.py worker`) to read, serves
the app (`streamlit run serve.py`) and drives Debian's Chromium at 1440 x 900 through Playwright. The reviewer clears
the queue by keyboard: Ctrl+Enter (approve & next) on each document; on `--corrections` of them (receipts that print
only a total) the total is corrected first (Alt+N to the field, type, Ctrl+Enter, and Ctrl+Enter again to confirm
"save and approve"). Measured in the page, from the approving key press until the next document is on screen and
usable: its page image loaded and its form's fields in place (the last document is measured until the queue says it
is empty). Prints p50 / p95 / max and the time per document, including the reviewer's own keystrokes.

Run it under `flock /tmp/docdesk-bench.lock` on a shared machine.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.e2e.served import chromium, cli, new_context, open_page, prepare, serve, sign_in  # noqa: E402
from tests.receipts import add_noise, encode, render, rotate  # noqa: E402

REVIEWER = "bench-reviewer"
FAILURE = Path(tempfile.gettempdir()) / "review_speed-failure.png"
SHOPS = ["KEDAI RUNCIT MAJU", "SINAR JAYA TRADING", "TOKO BESTARI", "RESTORAN SRI MURNI", "PERNIAGAAN TIMUR",
         "HARDWARE CEMERLANG", "KAFE SEROJA", "BUKU DAN ALAT TULIS ILMU"]
ITEMS = ["CABLE TIE", "A4 PAPER", "MINERAL WATER", "COFFEE 3IN1", "BATTERY AA", "MASKING TAPE", "SPONGE",
         "TEA BAGS", "PEN BLUE", "FOLDER"]

# The widget key of the document's total on screen (its form's keys are "DOCUMENT-VERSION-FIELD"), or null.
TOTAL_KEY = r"""(id) => {
  const pattern = new RegExp(`^st-key-(${id}-\\d+-total)$`);
  for (const node of document.querySelectorAll(`[class*="st-key-${id}-"]`)) {
    for (const name of node.classList) {
      const found = pattern.exec(name);
      if (found && node.querySelector("input")) return found[1];
    }
  }
  return null;
}"""
# Until the document `id` is on screen and usable (page image loaded, its form drawn, the app idle): the time since
# the key press.
READY = """([id, pressedAt]) => {
  const viewer = window.__docdeskViewer;
  if (!viewer || viewer.root.dataset.document !== String(id) || viewer.root.dataset.loaded !== "true") return false;
  const idle = document.querySelector('[data-test-script-state="notRunning"]');
  return idle && (%s)(id) ? performance.now() - pressedAt : false;
}""" % TOTAL_KEY
EMPTY = """([pressedAt]) => {
  const alerts = [...document.querySelectorAll('[data-testid="stAlert"]')];
  const idle = document.querySelector('[data-test-script-state="notRunning"]');
  return idle && alerts.some((a) => a.textContent.includes("queue is empty")) ? performance.now() - pressedAt : false;
}"""


def receipt_lines(rng: random.Random, n: int, total_only: bool) -> list[str]:
    """A made-up receipt whose sums add up; `total_only`: just a header, a date and the total."""
    day, month = rng.randint(1, 28), rng.randint(1, 12)
    header = [SHOPS[n % len(SHOPS)], f"LOT {rng.randint(1, 99)}, JALAN {rng.choice(['MAWAR', 'KENARI', 'DAMAI'])}",
              f"TEL: 03-{rng.randint(1000, 9999)} {rng.randint(1000, 9999)}", "",
              f"RECEIPT NO: R{n:05d}",
              f"DATE: {day:02d}/{month:02d}/2024   TIME: {rng.randint(8, 21)}:{rng.randint(10, 59)}",
              ""]
    if total_only:
        return header + [f"TOTAL                      {rng.randint(2, 90)}.{rng.randint(0, 99):02d}", "", "THANK YOU"]
    items = [(rng.choice(ITEMS), rng.randint(1, 4), rng.randint(150, 2500)) for _ in range(rng.randint(2, 5))]
    subtotal = sum(q * cents for _, q, cents in items)
    lines = [f"{q}   {name:<22}{q * cents / 100:>9.2f}" for name, q, cents in items]
    return header + lines + ["", f"SUBTOTAL                  {subtotal / 100:>9.2f}",
                             f"TOTAL                     {subtotal / 100:>9.2f}", "CASH", "", "THANK YOU"]


def make_receipts(folder: Path, documents: int, corrections: int, seed: int = 19) -> list[Path]:
    rng = random.Random(seed)
    simple = set(rng.sample(range(documents), corrections))
    paths = []
    for n in range(documents):
        image = render(receipt_lines(rng, n, n in simple)).image
        image = add_noise(rotate(image, rng.uniform(-1, 1)), sigma=6, seed=n)
        path = folder / f"receipt-{n + 1:02d}{'-total-only' if n in simple else ''}.png"
        path.write_bytes(encode(image))
        paths.append(path)
    return paths


def document_on_screen(page) -> int:
    return int(page.evaluate("window.__docdeskViewer.root.dataset.document"))


def wait_ready(page, document_id: int, pressed_at: float) -> float:
    handle = page.wait_for_function(READY, arg=[document_id, pressed_at], polling="raf", timeout=120_000)
    return float(handle.json_value())


def press(page, keys: str) -> float:
    """Press `keys` and return the page's clock at the press."""
    pressed_at = page.evaluate("performance.now()")
    page.keyboard.press(keys)
    return pressed_at


def clear_queue(page, documents: int, simple: set[str]) -> tuple[list[float], list[float], int]:
    """Approve every document by keyboard, correcting the total of the `simple` ones first. Returns the seconds
    from each approving key press to the next document usable, the seconds spent on each document, and how many
    needed a reason (OCR misread a sum, so approving is blocked without one)."""
    times, per_document, overrides = [], [], 0
    for n in range(documents):
        document_id = document_on_screen(page)
        wait_ready(page, document_id, 0)
        began = time.monotonic()
        name = page.get_by_test_id("stHeading").first.inner_text()
        if any(s in name for s in simple):
            total = page.locator(f".st-key-{page.evaluate(TOTAL_KEY, document_id)} input")
            total.click()
            total.fill("99.99")
            press(page, "Control+Enter")  # asks: save the change and approve?
            page.get_by_role("dialog").get_by_role("button", name="Save and approve").wait_for()
        elif page.get_by_text("Approving needs a reason").count():
            overrides += 1
            page.keyboard.press("Alt+R")  # to the reason
            page.keyboard.type("checked against the paper receipt")
        pressed_at = press(page, "Control+Enter")
        if n + 1 < documents:
            page.wait_for_function(f"window.__docdeskViewer.root.dataset.document !== '{document_id}'",
                                   timeout=120_000)
            times.append(wait_ready(page, document_on_screen(page), pressed_at) / 1000)
        else:
            handle = page.wait_for_function(EMPTY, arg=[pressed_at], polling="raf", timeout=120_000)
            times.append(float(handle.json_value()) / 1000)
        per_document.append(time.monotonic() - began)
    return times, per_document, overrides


def serve_and_review(args: argparse.Namespace, tmp_path: Path) -> tuple[list[float], list[float], int]:
    data_dir = tmp_path / "data"
    prepare(data_dir, {REVIEWER: "reviewer"})
    (tmp_path / "receipts").mkdir()
    paths = make_receipts(tmp_path / "receipts", args.documents, args.corrections)
    simple = {p.name for p in paths if "total-only" in p.name}
    with serve(data_dir, tmp_path / "logs") as base:
        started = time.monotonic()
        cli(data_dir, "ingest", "--wait", *map(str, paths))
        print(f"{len(paths)} receipts read by the worker in {time.monotonic() - started:.1f} s")
        with chromium() as browser:
            page = open_page(new_context(browser))
            page.goto(f"{base}/review")
            sign_in(page, REVIEWER)
            page.wait_for_function("window.__docdeskViewer && window.__docdeskViewer.root.dataset.loaded === 'true'",
                                   timeout=120_000)
            try:
                return clear_queue(page, args.documents, simple)
            except Exception:
                page.screenshot(path=str(FAILURE))
                print(f"failed; the page at that moment: {FAILURE}")
                raise


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--documents", type=int, default=20)
    parser.add_argument("--corrections", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="review-speed-") as tmp:
        times, per_document, overrides = serve_and_review(args, Path(tmp))
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    print(f"next document on screen and usable after approve: p50 {statistics.median(times):.2f} s, "
          f"p95 {p95:.2f} s, max {times[-1]:.2f} s over {len(times)} documents")
    print(f"per document, keystrokes included: mean {statistics.mean(per_document):.2f} s; {args.corrections} totals "
          f"corrected; {overrides} approved with a reason (OCR misread a sum)")


if __name__ == "__main__":
    main()
