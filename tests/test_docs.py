"""The README is the manual: every command of cli.py is named in it."""

from pathlib import Path

import typer

from cli import app

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def command_paths(typer_app: typer.Typer, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    group = typer.main.get_group(typer_app)
    paths = []
    for name, command in group.commands.items():
        if hasattr(command, "commands"):  # a sub-group such as `db` or `users`
            paths += [(*prefix, name, sub) for sub in command.commands]
        else:
            paths.append((*prefix, name))
    return paths


def test_every_command_is_documented_in_the_readme():
    paths = command_paths(app)
    assert ("db", "upgrade") in paths and ("extract",) in paths  # the walk finds nested and top-level commands
    for group, *rest in paths:
        lines = [line for line in README.splitlines() if f"cli.py {group}" in line]
        assert lines, f"cli.py {group} is not in README.md"
        for word in rest:  # a sub-command must stand on a line that names its group
            assert any(f" {word}" in line for line in lines), f"cli.py {group} {word} is not in README.md"
