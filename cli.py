"""DocDesk command line: a thin layer over the services. `python cli.py --help` lists the commands."""

from __future__ import annotations

import typer

app = typer.Typer(help="DocDesk: receipt ingestion, OCR and review.", no_args_is_help=True, add_completion=False)
db_app = typer.Typer(help="Database maintenance.", no_args_is_help=True)
app.add_typer(db_app, name="db")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create the data folder and apply every database migration (safe to run again)."""
    from storage import db

    revision = db.upgrade()
    typer.echo(f"database at revision {revision}")


def _extract_one(path: str) -> dict:
    """Worker: one file -> its JSON line (errors become the line's "error", never an exception)."""
    from ocr.pipeline import document_to_json, extract_document
    from settings import get_settings

    try:
        with open(path, "rb") as handle:
            data = handle.read()
        result = extract_document(data, settings=get_settings(), keep_images=False)
        return document_to_json(path, result)
    except OSError as error:
        from errors import InputError

        return document_to_json(path, error=InputError(f"Cannot read the file: {error.strerror}.", code="unreadable"))
    except Exception as error:  # noqa: BLE001 - one bad file must never stop the others
        return document_to_json(path, error=error)


def _summary(line: dict) -> str:
    if line["error"]:
        return f"{line['file']}: FAILED [{line['error']['code']}] {line['error']['message']}"
    fields = ", ".join(f"{name}={field['value']}" for name, field in line["fields"].items()) or "no fields"
    return f"{line['file']}: {line['pages']} page(s), {line['timings'].get('total', 0) / 1000:.1f} s; {fields}"


@app.command("extract")
def extract(files: list[str] = typer.Argument(..., help="Receipt files (JPEG, PNG, TIFF, BMP, WebP, PDF)."),
            jsonl: bool = typer.Option(False, "--jsonl", help="One JSON object per file, in input order."),
            workers: int = typer.Option(0, "--workers", help="Parallel processes; default one per core.")) -> None:
    """Run the OCR pipeline (no database) on FILES; exit status 1 if any file failed."""
    import json
    import os
    from concurrent.futures import ProcessPoolExecutor
    from contextlib import nullcontext

    os.environ.setdefault("OMP_THREAD_LIMIT", "1")  # one single-threaded Tesseract per process is fastest
    count = min(workers or os.cpu_count() or 1, len(files))
    failed = False
    with ProcessPoolExecutor(max_workers=count) if count > 1 else nullcontext() as pool:
        results = pool.map(_extract_one, files) if pool else map(_extract_one, files)  # both keep input order
        for line in results:
            failed = failed or line["error"] is not None
            typer.echo(json.dumps(line, ensure_ascii=False) if jsonl else _summary(line))
    raise typer.Exit(1 if failed else 0)


if __name__ == "__main__":
    app()
