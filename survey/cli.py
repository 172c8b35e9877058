"""The ``parlons`` command."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import signal
import sys
from collections.abc import Awaitable, Callable, Sequence
from types import FrameType
from typing import TypeVar
from zoneinfo import ZoneInfo

from survey import __version__, cli_actors, cli_analysis, cli_opinion, settings
from survey.cli_common import with_database
from survey.runtime import open_database, orm

T = TypeVar("T")

DEMO_EMAIL = "equipe@parlons.example"
DEMO_PASSWORD = "parlons-demo"  # noqa: S105 - printed on purpose: demo data only


def _stop_on_sigterm() -> None:
    """Turn SIGTERM into SystemExit so ``finally`` blocks (stopping PostgreSQL) run.

    uvicorn restores this handler after its own shutdown and re-raises the signal.
    """

    def handler(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, handler)


def _serve(config: settings.Settings, url: str, args: argparse.Namespace) -> None:
    # The one import of the web app by the command, when it serves it.
    from survey.app import serve

    serve(config, url, host=args.host, port=args.port, workers=args.workers)


def cmd_serve(args: argparse.Namespace) -> int:
    _stop_on_sigterm()
    config = settings.load()
    database = open_database(config)
    try:
        _serve(config, database.url, args)
    finally:
        database.stop()
    return 0


async def _load_demo(url: str, base: str, zone: ZoneInfo) -> tuple[str, int]:
    from survey.domain.accounts import create_user
    from survey.domain.actors_demo import link_demo_matches
    from survey.domain.definitions import get_definition
    from survey.domain.demo import load_demo
    from survey.domain.demo_followup import load_demo_followup
    from survey.enums import Role
    from survey.models import User

    async with orm(url):
        slug, added = await load_demo(zone=zone)
        if not await User.exists(email=DEMO_EMAIL):
            await create_user(DEMO_EMAIL, DEMO_PASSWORD, Role.ADMIN)
        # The whole loop, once: needs analysed, a council's decision, actions, follow-up.
        await load_demo_followup(slug, address=f"{base}/s/{slug}/suivi")
        # The directory's confirmed matches take the needs that analysis found.
        await link_demo_matches(await get_definition(slug))
    return slug, added


def cmd_demo(args: argparse.Namespace) -> int:
    _stop_on_sigterm()
    config = settings.load()
    database = open_database(config)
    try:
        base = f"http://{args.host}:{args.port}"
        slug, added = asyncio.run(_load_demo(database.url, base, config.time_zone))
        print(f"Demo data ready ({added} responses added).", flush=True)
        print(f"  Residents:  {base}/s/{slug}", flush=True)
        print(f"  Staff:      {base}/staff  (login {DEMO_EMAIL} / {DEMO_PASSWORD})", flush=True)
        print(f"  Follow-up:  {base}/s/{slug}/suivi", flush=True)
        _serve(config, database.url, args)
    finally:
        database.stop()
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    database = open_database(settings.load())
    database.stop()
    print("Database is up to date.")
    return 0


def _read_password() -> str | None:
    """A new password: asked twice on a terminal, else the first line of stdin."""
    if sys.stdin.isatty():
        password = getpass.getpass("Password: ")
        if password != getpass.getpass("Password (again): "):
            print("The passwords differ.", file=sys.stderr)
            return None
        return password
    return sys.stdin.readline().rstrip("\n")


def _actor() -> str:
    """Who made a change from the command line, for the team's audit record."""
    try:
        who = getpass.getuser()
    except (KeyError, OSError):
        who = str(os.getuid())
    return f"command line ({who})"


def _account_call(function: Callable[[], Awaitable[T]]) -> T | None:
    """Run an account change; print its error in English and return None when refused."""
    from survey.errors import SurveyError
    from survey.i18n import translate

    try:
        return with_database(function)
    except SurveyError as exc:
        print(translate("en", exc.key, **exc.params), file=sys.stderr)
        return None


def cmd_createuser(args: argparse.Namespace) -> int:
    from survey.domain.accounts import add_account

    password = _read_password()
    if password is None:
        return 2
    user = _account_call(lambda: add_account(args.email, password, args.role, actor=_actor()))
    if user is None:
        return 2
    label = "Administrator" if args.role == "admin" else "Staff member"
    print(f"{label} {user.email} created.")
    return 0


def cmd_users(args: argparse.Namespace) -> int:
    from survey.domain.accounts import list_accounts

    print("email\trole\tstatus\tcreated")
    for account in with_database(list_accounts):
        status = "active" if account.active else "deactivated"
        created = account.created_at.date().isoformat()
        print(f"{account.email}\t{account.role}\t{status}\t{created}")
    return 0


def cmd_passwd(args: argparse.Namespace) -> int:
    from survey.domain.accounts import reset_password

    password = _read_password()
    if password is None:
        return 2
    user = _account_call(lambda: reset_password(args.email, password, actor=_actor()))
    if user is None:
        return 2
    print(f"Password of {user.email} changed; its sessions have ended.")
    return 0


def cmd_deactivate(args: argparse.Namespace) -> int:
    from survey.domain.accounts import deactivate_account

    user = _account_call(lambda: deactivate_account(args.email, actor=_actor()))
    if user is None:
        return 2
    print(f"{user.email} deactivated: it can no longer log in and its sessions have ended.")
    return 0


async def _export(url: str, slug: str, fmt: str, zone: ZoneInfo) -> None:
    from survey.domain.definitions import get_definition
    from survey.domain.responses import export_csv, export_json

    async with orm(url):
        definition = await get_definition(slug)
        out = sys.stdout.buffer
        if fmt == "csv":
            async for data in export_csv(definition, "fr", zone):
                out.write(data)
        else:
            async for text in export_json(definition, zone):
                out.write(text.encode())
    sys.stdout.flush()


def cmd_export(args: argparse.Namespace) -> int:
    from survey.errors import SurveyError
    from survey.i18n import translate

    config = settings.load()
    database = open_database(config)
    try:
        asyncio.run(_export(database.url, args.slug, args.format, config.time_zone))
    except SurveyError as exc:
        print(translate("en", exc.key, **exc.params), file=sys.stderr)
        return 2
    finally:
        database.stop()
    return 0


def cmd_purge(args: argparse.Namespace) -> int:
    import json

    from survey.domain.privacy import purge_all

    zone = settings.load().time_zone
    done = with_database(lambda: purge_all(zone))
    for lines in done.values():
        for line in lines:
            print(json.dumps(line))

    def total(part: str, name: str) -> int:
        return sum(int(line[name]) for line in done[part])

    print(f"Purged {total('responses', 'deleted')} responses past retention.")
    erased = total("addresses", "addresses_erased")
    print(f"Erased {erased} e-mail addresses of invitations never delivered.")
    print(f"Deleted {total('uploads', 'uploads_deleted')} uploaded files never imported.")
    print(f"Deleted {total('drafts', 'drafts_deleted')} resume drafts past their expiry.")
    return 0


def cmd_register(args: argparse.Namespace) -> int:
    import json

    from survey.domain.privacy import processing_register

    zone = settings.load().time_zone
    register = with_database(lambda: processing_register(zone))
    print(json.dumps(register, ensure_ascii=False, indent=1))
    return 0


def _pg_tool(name: str) -> str:
    """The client tools shipped with the embedded server: the newest major version, which
    can dump and restore older servers too."""
    from survey.pgserver import BIN

    return str(BIN / name)


def _run_tool(name: str, *arguments: str) -> int:
    """Run ``pg_dump``/``pg_restore`` against the database; report failures on stderr."""
    import subprocess

    database = open_database(settings.load())
    try:
        result = subprocess.run(
            [_pg_tool(name), *arguments, f"--dbname={database.url}"],
            capture_output=True,
            text=True,
            check=False,
        )
    finally:
        database.stop()
    if result.returncode:
        print(result.stderr.strip(), file=sys.stderr)
        return 2
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    if _run_tool("pg_dump", "--format=custom", "--no-owner", f"--file={args.file}"):
        return 2
    print(f"Backup written to {args.file}.")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    if not os.path.exists(args.file):
        print(f"No such backup file: {args.file}", file=sys.stderr)
        return 2
    if _run_tool(
        "pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction", args.file
    ):
        return 2
    print(f"Database restored from {args.file}.")
    return 0


def _add_server_options(parser: argparse.ArgumentParser, workers: bool = True) -> None:
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--workers", type=int, default=1)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="parlons", description="Parlons")
    parser.add_argument("--version", action="version", version=f"parlons {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("serve", help="run the web app")
    _add_server_options(p)
    p.set_defaults(func=cmd_serve)
    p = sub.add_parser("demo", help="load the demo survey and run the web app")
    _add_server_options(p)
    p.set_defaults(func=cmd_demo)
    p = sub.add_parser("migrate", help="apply database migrations")
    p.set_defaults(func=cmd_migrate)
    p = sub.add_parser(
        "createuser", help="create a staff account (password asked, or read from stdin)"
    )
    p.add_argument("email")
    p.add_argument("--role", choices=["staff", "admin"], default="staff")
    p.set_defaults(func=cmd_createuser)
    p = sub.add_parser("createadmin", help="the same as createuser --role admin")
    p.add_argument("email")
    p.set_defaults(func=cmd_createuser, role="admin")
    p = sub.add_parser("users", help="list the staff accounts")
    p.set_defaults(func=cmd_users)
    p = sub.add_parser("passwd", help="set a new password for an account (its sessions end)")
    p.add_argument("email")
    p.set_defaults(func=cmd_passwd)
    p = sub.add_parser("deactivate", help="close an account: no login, its sessions end")
    p.add_argument("email")
    p.set_defaults(func=cmd_deactivate)
    p = sub.add_parser("export", help="write a survey's responses to stdout")
    p.add_argument("slug")
    p.add_argument("--format", choices=["csv", "json"], default="csv")
    p.set_defaults(func=cmd_export)
    p = sub.add_parser(
        "purge",
        help="delete responses past retention, addresses of undelivered invitations,"
        " uploaded files never imported and expired resume drafts",
    )
    p.set_defaults(func=cmd_purge)
    p = sub.add_parser("register", help="print the register of processing activities (JSON)")
    p.set_defaults(func=cmd_register)
    p = sub.add_parser("backup", help="write a backup of the database (pg_dump custom format)")
    p.add_argument("file")
    p.set_defaults(func=cmd_backup)
    p = sub.add_parser("restore", help="restore the database from a backup file")
    p.add_argument("file")
    p.set_defaults(func=cmd_restore)
    cli_analysis.register(sub)
    cli_opinion.register(sub)
    cli_actors.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; every sub-command sets ``func(args) -> int``."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
