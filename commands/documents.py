"""`cli.py worker`, `ingest`, `watch`, `status` and `retry`: documents in, the workers that read them, and how they
stand (services.ingest, worker, watch, status, documents)."""

from __future__ import annotations

from pathlib import Path

import typer

from commands.common import errors_end_the_command, fail


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
            fail(PermissionDenied(f"--user {user}: {error.message}"))
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
        fail(ValueError(f"--after {after}: say move or keep"))
    logs.configure()
    with errors_end_the_command():
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


def retry(ids: list[int] = typer.Argument(None, help="Document ids to retry."),
          failed: bool = typer.Option(False, "--failed", help="Retry every failed document.")) -> None:
    """Put failed documents back on the queue."""
    from services import documents

    if not ids and not failed:
        typer.echo("error: give document ids or --failed", err=True)
        raise typer.Exit(2)
    requeued = documents.retry(None if failed and not ids else list(ids))
    typer.echo(f"re-queued {len(requeued)}: " + (", ".join(f"#{i}" for i in requeued) or "nothing was failed"))
