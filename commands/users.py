"""`cli.py users ...`: user accounts and roles, for scripts and the first start (services.users)."""

from __future__ import annotations

import sys

import typer

from commands.common import errors_end_the_command

app = typer.Typer(help="User accounts and roles (uploader, reviewer, admin).", no_args_is_help=True)
ROLE_HELP = "uploader, reviewer or admin"


def _read_password(password_stdin: bool, generate: bool, prompt: str) -> str | None:
    """The password from stdin, generated (None), or asked for twice at the terminal."""
    if password_stdin:
        return sys.stdin.readline().rstrip("\n")
    if generate:
        return None
    return typer.prompt(prompt, hide_input=True, confirmation_prompt=True)


@app.command("add")
def users_add(name: str, role: str = typer.Option(..., "--role", help=ROLE_HELP),
              password_stdin: bool = typer.Option(False, "--password-stdin", help="Read the password from stdin."),
              generate: bool = typer.Option(False, "--generate", help="Generate a password and print it once."),
              ) -> None:
    """Add a user. Asks for the password unless --password-stdin or --generate."""
    from services import users

    with errors_end_the_command():
        account, generated = users.add_user(name, role, _read_password(password_stdin, generate, "Password"))
    typer.echo(f"added {account.name} ({account.role})")
    if generated:
        typer.echo(f"password: {generated}  (shown once: write it down)")


@app.command("list")
def users_list() -> None:
    """List users with their role and state."""
    from services import users

    for account in users.list_users():
        seen = account.last_sign_in_at.strftime("%Y-%m-%d %H:%M") if account.last_sign_in_at else "never"
        state = "active" if account.active else "disabled"
        typer.echo(f"{account.name:<24} {account.role:<9} {state:<9} last sign-in {seen}")


@app.command("set-role")
def users_set_role(name: str, role: str = typer.Argument(..., help=ROLE_HELP)) -> None:
    """Change a user's role."""
    from services import users

    with errors_end_the_command():
        account = users.set_role(name, role)
    typer.echo(f"{account.name} is now {account.role}")


@app.command("disable")
def users_disable(name: str, enable: bool = typer.Option(False, "--enable", help="Enable the user again.")) -> None:
    """Disable a user (signs them out at their next click); --enable undoes it."""
    from services import users

    with errors_end_the_command():
        account = users.set_active(name, enable)
    typer.echo(f"{account.name} is {'active' if account.active else 'disabled'}")


@app.command("reset-password")
def users_reset_password(name: str,
                         password_stdin: bool = typer.Option(False, "--password-stdin", help="Read it from stdin."),
                         generate: bool = typer.Option(False, "--generate", help="Generate one and print it once."),
                         ) -> None:
    """Set a new password for a user and clear their failed attempts."""
    from services import users

    with errors_end_the_command():
        generated = users.reset_password(name, _read_password(password_stdin, generate, "New password"))
    typer.echo(f"password reset for {name}" + (f": {generated}  (shown once)" if generated else ""))


@app.command("ensure-admin")
def users_ensure_admin() -> None:
    """On a database without users, create 'admin' with a random password and print it once (used by make run)."""
    from services import users

    password = users.ensure_first_admin()
    if password:
        typer.echo("=" * 60)
        typer.echo(f"First start: created user 'admin' with password: {password}")
        typer.echo("Sign in with it now and add your own users; it is not shown again.")
