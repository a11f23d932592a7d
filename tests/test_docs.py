"""The docs keep up with the code: every command, every setting, every error code, every link."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import typer

from cli import app
from errors import INPUT_CODES, ErrorCode

ROOT = Path(__file__).resolve().parents[1]
OPERATIONS = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")


def command_paths(typer_app: typer.Typer, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    group = typer.main.get_group(typer_app)
    paths = []
    for name, command in group.commands.items():
        if hasattr(command, "commands"):  # a sub-group such as `db` or `users`
            paths += [(*prefix, name, sub) for sub in command.commands]
        else:
            paths.append((*prefix, name))
    return paths


def section(text: str, title: str) -> str:
    """The text under a markdown heading, up to the next heading of the same or a higher level."""
    heading = re.search(rf"^(#+) {re.escape(title)}$", text, re.M)
    assert heading, f"no section '{title}'"
    body = text[heading.end():]
    end = re.search(rf"^#{{1,{len(heading.group(1))}}} ", body, re.M)
    return body[:end.start()] if end else body


def codes_in_tables(text: str) -> set[str]:
    """The `code`s that open a row of a markdown table."""
    return set(re.findall(r"^\| `([a-z_]+)` \|", text, re.M))


def test_every_command_is_in_the_command_list():
    commands = section(OPERATIONS, "Command line")
    paths = command_paths(app)
    assert ("db", "upgrade") in paths and ("extract",) in paths  # the walk finds nested and top-level commands
    for group, *rest in paths:
        lines = [line for line in commands.splitlines() if f"cli.py {group}" in line]
        assert lines, f"cli.py {group} is not in docs/operations.md's command line section"
        for word in rest:  # a sub-command must stand on a line that names its group
            assert any(f" {word}" in line for line in lines), f"cli.py {group} {word} is not in docs/operations.md"


def test_the_settings_table_is_generated_from_settings_py():
    spec = importlib.util.spec_from_file_location("settings_table", ROOT / "scripts" / "settings_table.py")
    settings_table = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(settings_table)
    assert "| `DOCDESK_DATA_DIR` | `./data` |" in settings_table.table()
    assert settings_table.with_table(OPERATIONS) == OPERATIONS, \
        "docs/operations.md's settings table is out of date: run .venv/bin/python scripts/settings_table.py"


def test_the_failure_table_lists_every_input_error_code():
    listed = codes_in_tables(section(OPERATIONS, "Why a file is refused or fails")) | codes_in_tables(
        section(OPERATIONS, "Refused on the screens"))
    assert "empty_file" in listed
    missing = sorted(str(code) for code in INPUT_CODES - listed)
    assert not missing, f"add to docs/operations.md's failure tables: {missing}"


def test_every_error_code_is_explained():
    listed = codes_in_tables(section(OPERATIONS, "Limits and failure codes"))
    codes = {str(code) for code in ErrorCode}
    assert not codes - listed, f"add to docs/operations.md: {sorted(codes - listed)}"
    assert not listed - codes, f"not an ErrorCode any more: {sorted(listed - codes)}"


DOCS = sorted(p for p in ROOT.glob("*.md")) + sorted((ROOT / "docs").rglob("*.md")) + sorted(
    (ROOT / "bench").glob("*.md"))
CODE = sorted(p for folder in ("ocr", "services", "storage", "pages", "bench", "scripts", "tests")
              for p in (ROOT / folder).rglob("*.py")) + sorted(ROOT.glob("*.py"))


def test_every_link_and_named_path_exists():
    missing = []
    for doc in DOCS:
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", doc.read_text(encoding="utf-8")):
            if "://" not in target and not (doc.parent / target).exists():
                missing.append(f"{doc.relative_to(ROOT)} links {target}")
    for path in DOCS + CODE:
        text = path.read_text(encoding="utf-8")
        for named in re.findall(r"(?<![\w/.])((?:docs|bench)/[\w./-]+\.(?:md|py|png))", text):
            if not (ROOT / named).exists():
                missing.append(f"{path.relative_to(ROOT)} names {named}")
    assert not missing, missing
