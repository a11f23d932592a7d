"""commands/users.py (`cli.py users ...`): first admin, adding users from scripts, roles, disabling."""

from typer.testing import CliRunner

from cli import app
from services import users
from tests.signin import account

runner = CliRunner()


def test_ensure_admin_prints_a_password_once_that_signs_in(migrated):
    first = runner.invoke(app, ["users", "ensure-admin"])
    assert first.exit_code == 0
    password = first.output.split("password: ")[1].split()[0]
    assert users.sign_in("admin", password).role == "admin"
    again = runner.invoke(app, ["users", "ensure-admin"])
    assert again.exit_code == 0 and again.output == ""


def test_add_with_password_from_stdin_then_list_set_role_disable(migrated):
    added = runner.invoke(app, ["users", "add", "rita", "--role", "reviewer", "--password-stdin"],
                          input="rita-password\n")
    assert added.exit_code == 0, added.output
    assert users.sign_in("rita", "rita-password").role == "reviewer"

    assert runner.invoke(app, ["users", "set-role", "rita", "admin"]).exit_code == 0
    listing = runner.invoke(app, ["users", "list"]).output
    assert "rita" in listing and "admin" in listing and "active" in listing

    assert runner.invoke(app, ["users", "disable", "rita"]).exit_code == 0
    assert not account(migrated, "rita").active
    assert runner.invoke(app, ["users", "disable", "rita", "--enable"]).exit_code == 0
    assert account(migrated, "rita").active


def test_generated_password_and_reset(migrated):
    added = runner.invoke(app, ["users", "add", "uma", "--role", "uploader", "--generate"])
    password = added.output.split("password: ")[1].split()[0]
    assert users.sign_in("uma", password).name == "uma"
    reset = runner.invoke(app, ["users", "reset-password", "uma", "--password-stdin"], input="brand-new-password\n")
    assert reset.exit_code == 0
    assert users.sign_in("uma", "brand-new-password").name == "uma"


def test_errors_are_clear_and_exit_2(migrated):
    bad_role = runner.invoke(app, ["users", "add", "x", "--role", "boss", "--generate"])
    assert bad_role.exit_code == 2 and "use uploader, reviewer or admin" in bad_role.output
    missing = runner.invoke(app, ["users", "set-role", "ghost", "admin"])
    assert missing.exit_code == 2 and "No user named ghost" in missing.output

