"""What every command shares: how an error ends it, and how it runs Tesseract."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

import typer


def single_threaded_tesseract() -> None:
    """Every Tesseract this process starts runs on one thread: OpenMP's threads made it ~2.2x slower on 2 cores,
    so commands that read many pages run one process per core instead (`worker` sets this in services.worker)."""
    import os

    os.environ["OMP_THREAD_LIMIT"] = "1"


def fail(error: Exception) -> NoReturn:
    typer.echo(f"error: {getattr(error, 'message', error)}", err=True)
    raise typer.Exit(2)


@contextlib.contextmanager
def errors_end_the_command() -> Iterator[None]:
    """A DocDeskError raised in the block ends the command with its message (exit code 2)."""
    from errors import DocDeskError

    try:
        yield
    except DocDeskError as error:
        fail(error)


def labelled_folders(folders: list[str]) -> list[Path]:
    """The folders as paths; the command ends (exit code 2) naming those not laid out like sroie-dev."""
    paths = [Path(folder) for folder in folders]
    if missing := [str(path) for path in paths if not (path / "img").is_dir() or not (path / "key").is_dir()]:
        fail(ValueError(f"not a labelled folder (needs img/ and key/): {', '.join(missing)}"))
    return paths
