"""`cli.py db ...`: database maintenance."""

from __future__ import annotations

import typer

app = typer.Typer(help="Database maintenance.", no_args_is_help=True)


@app.command("upgrade")
def db_upgrade() -> None:
    """Create the data folder and apply every database migration (safe to run again)."""
    from storage import db

    revision = db.upgrade()
    typer.echo(f"database at revision {revision}")
