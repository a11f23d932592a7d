"""DocDesk command line: a thin layer over the services. `python cli.py --help` lists the commands.

This file is the entry point and the index: each command lives in the module of `commands/` named below.
"""

from __future__ import annotations

import typer

from commands import db, documents, export, extract, field_model, users

COMMANDS = {  # name -> what runs it, in the order --help lists them
    "extract": extract.extract,
    "eval": field_model.eval_command,
    "train": field_model.train_command,
    "retrain": field_model.retrain_command,
    "worker": documents.worker,
    "ingest": documents.ingest,
    "watch": documents.watch,
    "status": documents.status,
    "retry": documents.retry,
    "export": export.export_command,
    "batches": export.batches_command,
    "pdf": export.pdf_command,
}
GROUPS = {"db": db.app, "users": users.app}  # db upgrade; users add, list, set-role, disable, reset-password, ...

app = typer.Typer(help="DocDesk: receipt ingestion, OCR and review.", no_args_is_help=True, add_completion=False)
for name, group in GROUPS.items():
    app.add_typer(group, name=name)
for name, command in COMMANDS.items():
    app.command(name)(command)

if __name__ == "__main__":
    app()
