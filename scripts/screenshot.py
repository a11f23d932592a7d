"""Picture a DocDesk screen as the docs show it: Chromium at 1440 x 900, one processed receipt.

    .venv/bin/python scripts/screenshot.py review docs/img/review.png

Starts the app and a worker on a fresh data folder (a temporary one), uploads a generated receipt
(tests/receipts.py: no real shop's data) with `cli.py ingest --wait`, signs in as an admin and opens the screen
named (its title: review, documents, export, monitor, ...). Open the picture and look at it before committing it.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.e2e.served import CHROMIUM, CHROMIUM_ARGS, environment, prepare, serve  # noqa: E402
from tests.receipts import encode, sample_receipt  # noqa: E402

ADMIN, PASSWORD = "admin", "screenshot-password"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("screen", help="the screen's URL path, e.g. review")
    parser.add_argument("output", type=Path, help="the PNG to write")
    args = parser.parse_args()
    from playwright.sync_api import expect, sync_playwright

    with tempfile.TemporaryDirectory() as folder:
        data_dir = Path(folder) / "data"
        receipt = Path(folder) / "greenleaf-hardware.png"
        receipt.write_bytes(encode(sample_receipt().image))
        prepare(data_dir, {ADMIN: "admin"}, PASSWORD)
        with serve(data_dir, Path(folder) / "logs") as base:
            subprocess.run([sys.executable, "cli.py", "ingest", "--wait", "--user", ADMIN, str(receipt)], cwd=ROOT,
                           env=environment(data_dir), check=True, capture_output=True, timeout=300)
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                page = browser.new_page(viewport={"width": 1440, "height": 900})
                page.set_default_timeout(60_000)
                page.goto(base)
                page.get_by_label("Name").fill(ADMIN)
                page.get_by_label("Password", exact=True).fill(PASSWORD)
                page.get_by_role("button", name="Sign in").click()
                nav = page.get_by_test_id("stSidebarNav")
                nav.get_by_role("link", name=args.screen.capitalize()).click()
                expect(page.get_by_role("heading", name=args.screen.capitalize())).to_be_visible()
                page.wait_for_load_state("networkidle")
                page.wait_for_timeout(2000)  # images and charts finish drawing
                args.output.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(args.output))
                browser.close()
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
