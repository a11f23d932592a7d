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


if __name__ == "__main__":
    app()
