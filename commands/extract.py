"""`cli.py extract`: the OCR pipeline on files, without the database (ocr.pipeline, in services.sandbox's child)."""

from __future__ import annotations

import contextlib

import typer

from commands.common import single_threaded_tesseract


def _extract_json(path: str, data: bytes, config) -> list[dict]:
    from ocr.pipeline import extract_document, receipts_to_json

    return receipts_to_json(path, extract_document(data, config=config, keep_images=False))


def _extract_one(path: str) -> list[dict]:
    """Worker: one file -> its JSON lines, one per receipt (errors become the line's "error", never an exception).
    Decoding and OCR run in a child with the same time, memory and CPU limits as the worker's (services.sandbox)."""
    from ocr.pipeline import receipts_to_json, warm_up
    from services import sandbox
    from settings import get_settings

    try:
        with open(path, "rb") as handle:
            data = handle.read()
        settings = get_settings()
        config = settings.ocr_config()
        warm_up(config)
        return sandbox.run(_extract_json, path, data, config, limits=sandbox.Limits.from_settings(settings))
    except OSError as error:
        from errors import ErrorCode, InputError

        unreadable = InputError(f"Cannot read the file: {error.strerror}.", code=ErrorCode.UNREADABLE)
        return receipts_to_json(path, error=unreadable)
    except Exception as error:  # noqa: BLE001 - one bad file must never stop the others
        return receipts_to_json(path, error=error)


def _summary(line: dict) -> str:
    if line["error"]:
        return f"{line['file']}: FAILED [{line['error']['code']}] {line['error']['message']}"
    fields = ", ".join(f"{name}={field['value']}" for name, field in line["fields"].items()) or "no fields"
    pages = line["pages"]
    where = f"page {pages[0]}" if len(pages) == 1 else f"pages {pages[0]}-{pages[-1]}"
    took = f", {line['timings']['total'] / 1000:.1f} s" if "total" in line["timings"] else ""
    return f"{line['file']} ({where}{took}): {fields}"


def extract(files: list[str] = typer.Argument(..., help="Receipt files (JPEG, PNG, TIFF, BMP, WebP, PDF)."),
            jsonl: bool = typer.Option(False, "--jsonl", help="One JSON object per receipt, in input order (a stack of "
                                       "receipts in one file gives one per receipt, see DOCDESK_SPLIT_PAGES)."),
            workers: int = typer.Option(0, "--workers", help="Parallel processes; default one per core.")) -> None:
    """Run the OCR pipeline (no database) on FILES; exit status 1 if any file failed."""
    import json
    import multiprocessing
    import os
    from concurrent.futures import ProcessPoolExecutor
    from contextlib import nullcontext

    from ocr.pipeline import warm_up
    from settings import get_settings

    single_threaded_tesseract()
    with contextlib.suppress(Exception):  # each file then fails with the reason, in its own line
        warm_up(get_settings().ocr_config())  # loaded once here; the processes forked below inherit the models
    count = min(workers or os.cpu_count() or 1, len(files))
    failed = False
    fork = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=count, mp_context=fork) if count > 1 else nullcontext() as pool:
        results = pool.map(_extract_one, files) if pool else map(_extract_one, files)  # both keep input order
        for line in (line for lines in results for line in lines):
            failed = failed or line["error"] is not None
            typer.echo(json.dumps(line, ensure_ascii=False) if jsonl else _summary(line))
    raise typer.Exit(1 if failed else 0)
