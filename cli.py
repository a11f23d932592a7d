"""DocDesk command line: a thin layer over the services. `python cli.py --help` lists the commands."""

from __future__ import annotations

import contextlib
import shlex
import sys
from collections.abc import Iterator
from pathlib import Path

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


users_app = typer.Typer(help="User accounts and roles (uploader, reviewer, admin).", no_args_is_help=True)
app.add_typer(users_app, name="users")
ROLE_HELP = "uploader, reviewer or admin"


def _single_threaded_tesseract() -> None:
    """Every Tesseract this process starts runs on one thread: OpenMP's threads made it ~2.2x slower on 2 cores,
    so commands that read many pages run one process per core instead (`worker` sets this in services.worker)."""
    import os

    os.environ["OMP_THREAD_LIMIT"] = "1"


def _read_password(password_stdin: bool, generate: bool, prompt: str) -> str | None:
    """The password from stdin, generated (None), or asked for twice at the terminal."""
    if password_stdin:
        return sys.stdin.readline().rstrip("\n")
    if generate:
        return None
    return typer.prompt(prompt, hide_input=True, confirmation_prompt=True)


def _fail(error: Exception) -> None:
    typer.echo(f"error: {getattr(error, 'message', error)}", err=True)
    raise typer.Exit(2)


@contextlib.contextmanager
def _errors_end_the_command() -> Iterator[None]:
    """A DocDeskError raised in the block ends the command with its message (exit code 2)."""
    from errors import DocDeskError

    try:
        yield
    except DocDeskError as error:
        _fail(error)


@users_app.command("add")
def users_add(name: str, role: str = typer.Option(..., "--role", help=ROLE_HELP),
              password_stdin: bool = typer.Option(False, "--password-stdin", help="Read the password from stdin."),
              generate: bool = typer.Option(False, "--generate", help="Generate a password and print it once."),
              ) -> None:
    """Add a user. Asks for the password unless --password-stdin or --generate."""
    from services import users

    with _errors_end_the_command():
        account, generated = users.add_user(name, role, _read_password(password_stdin, generate, "Password"))
    typer.echo(f"added {account.name} ({account.role})")
    if generated:
        typer.echo(f"password: {generated}  (shown once: write it down)")


@users_app.command("list")
def users_list() -> None:
    """List users with their role and state."""
    from services import users

    for account in users.list_users():
        seen = account.last_sign_in_at.strftime("%Y-%m-%d %H:%M") if account.last_sign_in_at else "never"
        state = "active" if account.active else "disabled"
        typer.echo(f"{account.name:<24} {account.role:<9} {state:<9} last sign-in {seen}")


@users_app.command("set-role")
def users_set_role(name: str, role: str = typer.Argument(..., help=ROLE_HELP)) -> None:
    """Change a user's role."""
    from services import users

    with _errors_end_the_command():
        account = users.set_role(name, role)
    typer.echo(f"{account.name} is now {account.role}")


@users_app.command("disable")
def users_disable(name: str, enable: bool = typer.Option(False, "--enable", help="Enable the user again.")) -> None:
    """Disable a user (signs them out at their next click); --enable undoes it."""
    from services import users

    with _errors_end_the_command():
        account = users.set_active(name, enable)
    typer.echo(f"{account.name} is {'active' if account.active else 'disabled'}")


@users_app.command("reset-password")
def users_reset_password(name: str,
                         password_stdin: bool = typer.Option(False, "--password-stdin", help="Read it from stdin."),
                         generate: bool = typer.Option(False, "--generate", help="Generate one and print it once."),
                         ) -> None:
    """Set a new password for a user and clear their failed attempts."""
    from services import users

    with _errors_end_the_command():
        generated = users.reset_password(name, _read_password(password_stdin, generate, "New password"))
    typer.echo(f"password reset for {name}" + (f": {generated}  (shown once)" if generated else ""))


@users_app.command("ensure-admin")
def users_ensure_admin() -> None:
    """On a database without users, create 'admin' with a random password and print it once (used by make run)."""
    from services import users

    password = users.ensure_first_admin()
    if password:
        typer.echo("=" * 60)
        typer.echo(f"First start: created user 'admin' with password: {password}")
        typer.echo("Sign in with it now and add your own users; it is not shown again.")
        typer.echo("=" * 60)


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


@app.command("extract")
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

    _single_threaded_tesseract()
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


_FOLDERS = typer.Argument(..., help="Labelled folders laid out like sroie-dev: img/, key/ (and box/).")
_FOLDS = typer.Option(5, "--folds", min=2, help="Cross-validation folds (grouped by shop).")
_SEED = typer.Option(0, "--seed", help="Seed of the split and of the training.")
_CACHE = typer.Option(None, "--cache", help="Keep each receipt's reading in this folder and reuse it.")
_WORKERS = typer.Option(2, "--workers", help="Parallel processes for reading.")
_REPORT = typer.Option(None, "--report", help="Write a markdown report: the figures and every mistake.")


def _cross_validated(folders: list[str], folds: int, seed: int, cache: str | None, workers: int, report: str | None):
    """Read the folders (the settings' reading), cross-validate grouped by shop, print the figures, the report."""
    from ocr.evaluate import summary_table
    from services import learning
    from settings import get_settings
    _single_threaded_tesseract()
    paths = [Path(f) for f in folders]
    if missing := [str(f) for f in paths if not (f / "img").is_dir() or not (f / "key").is_dir()]:
        typer.echo(f"not a labelled folder (needs img/ and key/): {', '.join(missing)}", err=True)
        raise typer.Exit(2)
    config, say = get_settings().ocr_config(), lambda message: typer.echo(message, err=True)
    receipts = learning.read_folders(paths, config, cache=Path(cache) if cache else None, workers=workers, progress=say)
    evaluation, prepared = learning.evaluate(receipts, config, folds=folds, seed=seed, progress=say)
    typer.echo(summary_table(evaluation.summaries()))
    command = "python " + " ".join(shlex.quote(arg) for arg in ["cli.py", *sys.argv[1:]])
    if report:
        Path(report).write_text(learning.report(evaluation, command), encoding="utf-8")
        typer.echo(f"report written to {report}")
    return evaluation, prepared, command


@app.command("eval")
def eval_command(folders: list[str] = _FOLDERS, folds: int = _FOLDS, seed: int = _SEED, cache: str = _CACHE,
                 workers: int = _WORKERS, report: str = _REPORT) -> None:
    """Measure field extraction honestly: each receipt is read by a model trained on the other folds, never on its
    own shop's unless the shop is 'seen'; F1 overall, for seen and unseen shops, cold and with the vendor memory."""
    _cross_validated(folders, folds, seed, cache, workers, report)


@app.command("train")
def train_command(folders: list[str] = _FOLDERS, folds: int = _FOLDS, seed: int = _SEED, cache: str = _CACHE,
                  workers: int = _WORKERS, report: str = _REPORT,
                  out: str = typer.Option("ocr/models/fields.json", "--out", help="Where to write the model file.")
                  ) -> None:
    """Train the field ranker from labelled folders: cross-validate it (figures as `eval`), then fit it on every
    receipt and write the model file with the command, the seed, the split and the figures."""
    from services import learning

    evaluation, prepared, command = _cross_validated(folders, folds, seed, cache, workers, report)
    learning.train(prepared, evaluation, Path(out), seed=seed, folds=folds, folders=[Path(f) for f in folders],
                   command=command, progress=lambda message: typer.echo(message, err=True))
    typer.echo(f"model written to {out} ({Path(out).stat().st_size // 1024} KB)")


def _run_lines(run) -> list[str]:
    """A finished retraining run, as `retrain` prints it."""
    lines = [f"run {run.id}: {run.state}. {run.reason}"]
    if run.candidate_f1 is not None:
        lines.append(f"held out: {run.held_out_documents} of {run.documents} approved documents, "
                     f"{run.held_out_shops} of {run.shops} shops")
        lines.append(f"{'field':<16}{run.current_model:>12}{'candidate':>12}")
        for name, current in run.figures["current"].items():
            lines.append(f"{name:<16}{current:>12.3f}{run.figures['candidate'][name]:>12.3f}")
        lines.append(f"{'F1':<16}{run.current_f1:>12.3f}{run.candidate_f1:>12.3f}")
    return lines


@app.command("retrain")
def retrain_command(folders: list[str] = typer.Argument(None, help="Labelled folders to train on as well, laid out "
                                                                  "like sroie-dev (what the shipped model learnt)."),
                    cache: str = _CACHE,
                    use_shipped: bool = typer.Option(False, "--use-shipped",
                                                     help="Go back to the model that ships with DocDesk.")) -> None:
    """Retrain the field ranker from the approved documents (admin); the new model is adopted only if it reads a
    held-out quarter of the approvals' shops better than the model in use. Both figures are printed and recorded."""
    from services import retraining

    if use_shipped:
        typer.echo(f"was reading with the {retraining.use_shipped()} model; now with the shipped one")
        return
    _single_threaded_tesseract()
    paths = [Path(f) for f in folders or []]
    if missing := [str(f) for f in paths if not (f / "img").is_dir() or not (f / "key").is_dir()]:
        _fail(ValueError(f"not a labelled folder (needs img/ and key/): {', '.join(missing)}"))
    with _errors_end_the_command():
        run = retraining.run_here(paths, cache=Path(cache) if cache else None,
                                  progress=lambda stage, done, total: typer.echo(
                                      f"{stage} {done} of {total}" if total else stage, err=True))
    typer.echo("\n".join(_run_lines(run)))
    raise typer.Exit(0 if run.state in ("adopted", "kept") else 1)


# --- ingestion, workers, status (services.ingest / process / worker) -----------------------------

@app.command("worker")
def worker(workers: int = typer.Option(0, "--workers",
                                      help="Worker processes; default DOCDESK_WORKERS or one per core.")) -> None:
    """Process queued documents until stopped (Ctrl-C finishes current documents; SIGTERM stops now)."""
    from errors import WorkerNotReady
    from services import logs
    from services import worker as worker_service

    logs.configure()
    try:
        worker_service.run(workers or None)
    except WorkerNotReady as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from None


def _files_under(paths: list[str]) -> list[str]:
    import os

    found: list[str] = []
    for path in paths:
        if os.path.isdir(path):
            for root, dirs, names in os.walk(path):
                dirs.sort()
                found.extend(os.path.join(root, name) for name in sorted(names))
        else:
            found.append(path)
    return found


def _result_line(result, path: str) -> str:
    """One ingested file, as `ingest` and `watch` print it."""
    if result.outcome == "queued":
        return f"#{result.document_id} queued  {path}"
    if result.outcome == "duplicate":
        return f"duplicate of #{result.document_id}  {path}"
    return f"{result.message} [{result.code}]  {path}"


@app.command("ingest")
def ingest(paths: list[str] = typer.Argument(..., help="Files or folders (searched recursively)."),
           wait: bool = typer.Option(False, "--wait", help="Wait until a running worker has processed them."),
           user: str = typer.Option(None, "--user", help="Recorded as the uploader: an account allowed to upload."),
           ) -> None:
    """Queue receipts for OCR: one line per file; exit status 1 if any file was refused or failed. With --wait, the
    files found to hold several receipts are named, and the count is of receipts."""
    import time

    from errors import PermissionDenied
    from services import documents
    from services import ingest as ingest_service
    from settings import get_settings
    from storage import workdir

    workdir.use_private_temp(get_settings())  # a PDF's preflight hands it to pdfinfo as a temp file
    bad = False
    queued: list[int] = []
    start = time.monotonic()
    for path in _files_under(paths):
        try:
            result = ingest_service.ingest_path(path, user=user)
        except PermissionDenied as error:
            _fail(PermissionDenied(f"--user {user}: {error.message}"))
        typer.echo(_result_line(result, path))
        if result.outcome == "queued":
            queued.append(result.document_id)
        bad = bad or result.outcome == "refused"
    if wait and queued:
        last, last_change = None, time.monotonic()
        while True:
            counts = documents.batch_progress(queued)
            waiting = counts["queued"] + counts["processing"]
            done = len(queued) - waiting
            if (done, counts["processing"]) != last:
                last, last_change = (done, counts["processing"]), time.monotonic()
                typer.echo(f"{done}/{len(queued)} done ({counts['processing']} processing, {counts['failed']} failed)")
            elif time.monotonic() - last_change > 60:
                typer.echo("no progress for 60 s: is `python cli.py worker` running?", err=True)
                last_change = time.monotonic()
            if not waiting:
                break
            time.sleep(0.5)
        bad = _report_batch(queued, time.monotonic() - start) or bad
    raise typer.Exit(1 if bad else 0)


@app.command("watch")
def watch(folder: Path = typer.Argument(None, help="The folder to watch; default DOCDESK_WATCH_DIR."),
          user: str = typer.Option(None, "--user", help="Recorded as the uploader: an account allowed to upload; "
                                   "default DOCDESK_WATCH_USER."),
          after: str = typer.Option(None, "--after", help="move (to DIR/done/ or DIR/refused/, the default) or keep "
                                    "(leave taken files in place); default DOCDESK_WATCH_AFTER."),
          settle: float = typer.Option(None, "--settle", help="Seconds a file must stay unchanged before it is taken."),
          poll: float = typer.Option(None, "--poll", help="Seconds between listings of the folder.")) -> None:
    """Ingest every file that appears in FOLDER once it is written, until stopped (Ctrl-C or SIGTERM)."""
    import signal

    from services import logs
    from services.watch import FolderWatcher, WatchOptions
    from settings import get_settings

    if after not in (None, "move", "keep"):
        _fail(ValueError(f"--after {after}: say move or keep"))
    logs.configure()
    with _errors_end_the_command():
        options = WatchOptions.from_settings(get_settings(), folder, user=user, after=after, settle_s=settle,
                                             poll_s=poll)
        watcher = FolderWatcher(options, report=lambda path, result: typer.echo(_result_line(result, path)))
        watcher.check()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: watcher.stop())
        typer.echo(f"watching {watcher.folder} (after taking: {options.after}); Ctrl-C stops")
        watcher.run()


def _report_batch(queued: list[int], seconds: float) -> bool:
    """Print what a processed batch became (stacks split into receipts, timings); True if any receipt failed."""
    from services import documents

    for stack in documents.batch_stacks(queued):
        typer.echo(f"#{stack.document_id}: {stack.message}: {', '.join(f'#{n}' for n in stack.receipts)}")
    summary = documents.batch_summary(queued)
    counts = summary["counts"]
    failed = counts["failed"]
    p50, p95 = summary["s_per_page_p50"], summary["s_per_page_p95"]
    per_page = f"{p50:.2f} / {p95:.2f} s per page (p50 / p95)" if p50 is not None else "no timings"
    typer.echo(f"processed {sum(counts.values()) - failed}, failed {failed} in {seconds:.1f} s; {per_page}")
    return failed > 0


@app.command("status")
def status() -> None:
    """Documents per status and the queue depth."""
    from errors import TransientError
    from services.status import document_counts, queue_depth

    try:
        for name, count in document_counts().items():
            typer.echo(f"{name:<13} {count}")
        typer.echo(f"{'queue depth':<13} {queue_depth()}")
    except TransientError as error:  # the database or the queue is down: say which and what to do
        typer.echo(f"error: {error.message}", err=True)
        raise typer.Exit(1) from None


@app.command("retry")
def retry(ids: list[int] = typer.Argument(None, help="Document ids to retry."),
          failed: bool = typer.Option(False, "--failed", help="Retry every failed document.")) -> None:
    """Put failed documents back on the queue."""
    from services import documents

    if not ids and not failed:
        typer.echo("error: give document ids or --failed", err=True)
        raise typer.Exit(2)
    requeued = documents.retry(None if failed and not ids else list(ids))
    typer.echo(f"re-queued {len(requeued)}: " + (", ".join(f"#{i}" for i in requeued) or "nothing was failed"))


@app.command("export")
def export_command(csv_file: Path = typer.Option(None, "--csv", help="Write the documents CSV here."),
                   items: Path = typer.Option(None, "--items", help="Write the line items CSV here."),
                   xlsx: Path = typer.Option(None, "--xlsx", help="Write the XLSX workbook (both sheets) here."),
                   status: list[str] = typer.Option(["approved"], "--status",
                                                    help="Statuses to export (repeat the option); default approved."),
                   since: str = typer.Option(None, "--since", help="First receipt date, YYYY-MM-DD."),
                   until: str = typer.Option(None, "--until", help="Last receipt date, YYYY-MM-DD."),
                   which: str = typer.Option("new", "--which", help="new: not exported yet; changed: changed "
                                                                     "since their export; all: exported or not."),
                   bom: bool = typer.Option(False, "--bom", help="Start the CSVs with a UTF-8 byte-order mark."),
                   batch: int = typer.Option(None, "--batch", help="Write the files of this earlier batch again, "
                                                                   "byte for byte, instead of a new export."),
                   pdfs: Path = typer.Option(None, "--pdfs", help="Also write a zip of the batch's documents as "
                                             "searchable PDFs here.")) -> None:
    """Export documents as a new batch (CSV, line items CSV, XLSX; formulas neutralised), or an earlier batch again."""
    from datetime import date

    from errors import DocDeskError
    from services import export

    outputs = {export.ExportFile.DOCUMENTS_CSV: csv_file, export.ExportFile.ITEMS_CSV: items,
               export.ExportFile.XLSX: xlsx}
    states = {"new": export.ExportState.NOT_EXPORTED, "changed": export.ExportState.CHANGED, "all": None}
    try:
        if not any(outputs.values()) or which not in states:
            raise ValueError("say where to write (--csv, --items, --xlsx), and --which as new, changed or all")
        filters = export.ExportFilter(statuses=tuple(status), since=date.fromisoformat(since) if since else None,
                                      until=date.fromisoformat(until) if until else None, state=states[which])
    except ValueError as error:
        typer.echo(f"error: {error}; write dates as YYYY-MM-DD", err=True)
        raise typer.Exit(2) from None
    try:
        if batch is None:
            for warning in export.preview(filters).duplicates:
                typer.echo(f"warning: {warning}", err=True)
        found = export.get_batch(batch) if batch is not None else export.export_batch(filters, bom=bom)
        for kind, path in outputs.items():
            if path is not None:
                path.write_bytes(export.batch_file(found.id, kind))
        if pdfs is not None:
            with open(pdfs, "wb") as target:
                export.batch_pdfs(found.id, target)
    except DocDeskError as error:
        typer.echo(f"error: {error.message}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"batch {found.id}: {found.rows} documents; wrote "
               + ", ".join(str(path) for path in [*outputs.values(), pdfs] if path is not None))


@app.command("batches")
def batches_command(limit: int = typer.Option(20, "--limit", help="How many, newest first.")) -> None:
    """The export batches: id, when, who, how many documents, the documents CSV's SHA-256."""
    from services import export

    for b in export.list_batches(page=1, page_size=limit).rows:
        typer.echo(f"{b.id:>5}  {b.created_at:%Y-%m-%d %H:%M}  {b.user or '(command line)':<16} "
                   f"{b.rows:>6} documents  {b.checksum}")


@app.command("pdf")
def pdf_command(document_id: int = typer.Argument(..., help="The document's id."),
                output: Path = typer.Option(None, "--output", "-o",
                                            help="Write the PDF here; default DATE_VENDOR_TOTAL.pdf in this folder.")
                ) -> None:
    """Write a read document's pages as a searchable PDF (invisible text over the page as read)."""
    from services import pdfs

    with _errors_end_the_command():
        pdf = pdfs.document_pdf(document_id)
    path = output or Path(pdf.name)
    path.write_bytes(pdf.data)
    typer.echo(f"wrote {path}")


if __name__ == "__main__":
    app()
