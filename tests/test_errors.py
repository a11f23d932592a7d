"""errors.ErrorCode lists every code the application raises or stores, and INPUT_CODES every code of an InputError.

The source is read, not run: a code written in a branch no test reaches is checked all the same.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import errors
from errors import INPUT_CODES, DocDeskError, ErrorCode, InputError

ROOT = Path(__file__).resolve().parents[1]
APPLICATION = [ROOT / name for name in ("app.py", "cli.py", "errors.py", "settings.py", "ui.py")] + sorted(
    path for package in ("commands", "ocr", "pages", "services", "storage") for path in (ROOT / package).rglob("*.py"))


def _error_classes(base: type = DocDeskError) -> dict[str, type]:
    found = {base.__name__: base}
    for sub in base.__subclasses__():
        found |= _error_classes(sub)
    return found


ERROR_CLASSES = _error_classes()


def _code(node: ast.expr) -> str | None:
    """The code an expression names: a string, or ErrorCode.NAME (an unknown NAME comes back as 'ErrorCode.NAME');
    None for anything computed."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "ErrorCode":
        return ErrorCode[node.attr].value if node.attr in ErrorCode.__members__ else f"ErrorCode.{node.attr}"
    return None


LEASE_ENDINGS = {"fail", "retry_or_fail"}  # services.process.Lease's methods that take the code first


def _written_codes(tree: ast.Module) -> list[tuple[int, str | None, str]]:
    """(line, error class or None, code) for each `SomeError(..., code=X)`, `error_code=X`, `lease.fail(X, ...)`,
    `x.error_code = X` and `code = X` in the body of an error class."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)
            for keyword in node.keywords:
                if keyword.arg == "code" and name in ERROR_CLASSES or keyword.arg == "error_code":
                    found.append((node.lineno, name if name in ERROR_CLASSES else None, _code(keyword.value)))
            if isinstance(node.func, ast.Attribute) and name in LEASE_ENDINGS and node.args:
                found.append((node.lineno, None, _code(node.args[0])))
        elif isinstance(node, ast.Assign) and any(isinstance(t, ast.Attribute) and t.attr == "error_code"
                                                   for t in node.targets):
            found.append((node.lineno, None, _code(node.value)))
        elif isinstance(node, ast.ClassDef) and node.name in ERROR_CLASSES:
            for statement in node.body:
                value = getattr(statement, "value", None)
                target = getattr(statement, "target", None) or next(iter(getattr(statement, "targets", [])), None)
                if value is not None and isinstance(target, ast.Name) and target.id == "code":
                    found.append((statement.lineno, node.name, _code(value)))
    return sorted((line, cls, code) for line, cls, code in found if code is not None)


def written_codes() -> list[tuple[str, str | None, str]]:
    return [(f"{path.relative_to(ROOT)}:{line}", cls, code) for path in APPLICATION
            for line, cls, code in _written_codes(ast.parse(path.read_text(encoding="utf-8")))]


def test_the_walk_finds_codes_in_each_form():
    tree = ast.parse("class EngineUnavailable(DocDeskError):\n    code = ErrorCode.EMPTY_FILE\n"
                     "raise InputError('m', code='too_large')\nrun(error_code=ErrorCode.NOPE)\n"
                     "doc.error_code = 'worker_lost'\nFlag(code='no_text')\nInputError('m', code=computed)\n"
                     "lease.retry_or_fail(ErrorCode.DATABASE_BUSY, 'm')\nfail('not a lease', 'm')\n")
    assert _written_codes(tree) == [(2, "EngineUnavailable", "empty_file"), (3, "InputError", "too_large"),
                                    (4, None, "ErrorCode.NOPE"), (5, None, "worker_lost"), (8, None, "database_busy")]


def test_every_code_the_application_writes_is_an_error_code():
    found = written_codes()
    assert {"empty_file", "worker_crashed", "document_timeout", "ocr_timeout"} <= {code for _, _, code in found}
    unknown = [(where, code) for where, _, code in found if code not in ErrorCode._value2member_map_]
    assert not unknown, "add these to errors.ErrorCode (and docs/operations.md): " + repr(unknown)


def test_every_error_code_is_written_somewhere():
    unused = set(ErrorCode) - {code for _, _, code in written_codes()}
    assert not unused, f"no code of the application gives these; drop them from errors.ErrorCode: {unused}"


def test_input_codes_are_exactly_the_codes_input_errors_carry():
    raised = {code for _, cls, code in written_codes() if cls and issubclass(ERROR_CLASSES[cls], InputError)}
    assert raised <= INPUT_CODES, f"InputError codes missing from errors.INPUT_CODES: {raised - INPUT_CODES}"
    assert INPUT_CODES - raised <= {ErrorCode.BAD_INPUT}, "errors.INPUT_CODES lists codes no InputError carries"


@pytest.mark.parametrize("cls", sorted(ERROR_CLASSES.values(), key=lambda c: c.__name__), ids=lambda c: c.__name__)
def test_each_error_class_lives_in_errors_and_carries_a_listed_code(cls):
    assert cls.__module__ == "errors"
    assert cls.code in ErrorCode.__members__.values()


def test_an_error_says_its_code_and_message():
    error = InputError("The file is empty (0 bytes): upload the file again.", code=ErrorCode.EMPTY_FILE)
    assert error.as_dict() == {"code": "empty_file", "message": "The file is empty (0 bytes): upload the file again."}
    assert errors.ChildCrashed("stopped").as_dict()["code"] == "worker_crashed"
