"""cli.py, the entry point: every command of commands/ is reachable under its name, and answers --help."""

from __future__ import annotations

import inspect
import subprocess
import sys

from typer.testing import CliRunner

from cli import COMMANDS, GROUPS, app
from commands import db, documents, export, extract, field_model, users
from tests.services.worker_proc import ROOT

LISTED = ["extract", "eval", "train", "retrain", "worker", "ingest", "watch", "status", "retry", "export", "batches",
          "pdf", "db", "users"]  # in the order --help listed them before cli.py was split


def test_python_cli_py_lists_every_command_in_order():
    shown = subprocess.run([sys.executable, "cli.py", "--help"], cwd=ROOT, capture_output=True, text=True,
                           env={"COLUMNS": "120", "PATH": "/usr/bin:/bin"}, timeout=60)
    assert shown.returncode == 0, shown.stderr
    listed = [line.split()[1] for line in shown.stdout.splitlines() if line.startswith("│ ") and line[2] != " "]
    assert [name for name in listed if name in LISTED] == LISTED == [*COMMANDS, *GROUPS]


def test_every_command_function_of_the_command_modules_is_registered_and_has_help():
    registered = {info.callback for typer_app in [app, *(group.typer_instance for group in app.registered_groups)]
                  for info in typer_app.registered_commands}
    for module in (db, documents, export, extract, field_model, users):
        public = {value for name, value in vars(module).items()
                  if inspect.isfunction(value) and value.__module__ == module.__name__ and not name.startswith("_")}
        assert public and public <= registered, f"{module.__name__}: {public - registered} not registered in cli.py"
    for path in [[name] for name in LISTED] + [["db", "upgrade"], ["users", "add"]]:
        result = CliRunner().invoke(app, [*path, "--help"])
        assert result.exit_code == 0 and "Usage:" in result.output, (path, result.output)
