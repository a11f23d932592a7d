"""`cli.py eval`, `train` and `retrain`: measuring and training the field model (services.learning, retraining)."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import typer

from commands.common import errors_end_the_command, labelled_folders, single_threaded_tesseract

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
    single_threaded_tesseract()
    paths = labelled_folders(folders)
    config, say = get_settings().ocr_config(), lambda message: typer.echo(message, err=True)
    receipts = learning.read_folders(paths, config, cache=Path(cache) if cache else None, workers=workers, progress=say)
    evaluation, prepared = learning.evaluate(receipts, config, folds=folds, seed=seed, progress=say)
    typer.echo(summary_table(evaluation.summaries()))
    command = "python " + " ".join(shlex.quote(arg) for arg in ["cli.py", *sys.argv[1:]])
    if report:
        Path(report).write_text(learning.report(evaluation, command), encoding="utf-8")
        typer.echo(f"report written to {report}")
    return evaluation, prepared, command


def eval_command(folders: list[str] = _FOLDERS, folds: int = _FOLDS, seed: int = _SEED, cache: str = _CACHE,
                 workers: int = _WORKERS, report: str = _REPORT) -> None:
    """Measure field extraction honestly: each receipt is read by a model trained on the other folds, never on its
    own shop's unless the shop is 'seen'; F1 overall, for seen and unseen shops, cold and with the vendor memory."""
    _cross_validated(folders, folds, seed, cache, workers, report)


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
    single_threaded_tesseract()
    paths = labelled_folders(folders or [])
    with errors_end_the_command():
        run = retraining.run_here(paths, cache=Path(cache) if cache else None,
                                  progress=lambda stage, done, total: typer.echo(
                                      f"{stage} {done} of {total}" if total else stage, err=True))
    typer.echo("\n".join(_run_lines(run)))
    raise typer.Exit(0 if run.state in ("adopted", "kept") else 1)


