"""The `chinwag` command: serve, migrate, admin, chat (the command-line client), bench."""

from __future__ import annotations

import argparse
import asyncio
import sys
from dataclasses import fields
from typing import Any

from chinwag import config


def _add_settings_flags(parser: argparse.ArgumentParser) -> None:
    for f in fields(config.Settings):
        flag = "--" + f.name.replace("_", "-")
        kind = {"int": int, "float": float, "bool": None}.get(str(f.type), str)
        help_ = (
            f"{f.metadata.get('help', '')} (env {config.env_name(f.name)}, default {f.default!r})"
        )
        if kind is None:
            parser.add_argument(
                flag, dest=f.name, action=argparse.BooleanOptionalAction, default=None, help=help_
            )
        else:
            parser.add_argument(flag, dest=f.name, type=kind, default=None, help=help_)


def _settings(ns: argparse.Namespace) -> config.Settings:
    flags = {f.name: getattr(ns, f.name, None) for f in fields(config.Settings)}
    try:
        return config.from_sources(**flags)
    except ValueError as exc:
        sys.exit(f"chinwag: bad setting: {exc}")


def cmd_serve(ns: argparse.Namespace) -> None:
    from chinwag import logs, server
    from chinwag.app import App

    settings = _settings(ns)
    logs.setup(settings.log_level, settings.log_format)
    server.run(App(settings, tune_gc=True))


def cmd_migrate(ns: argparse.Namespace) -> None:
    from chinwag.app import migrate

    applied = asyncio.run(migrate(_settings(ns)))
    print("applied: " + (", ".join(applied) if applied else "nothing (up to date)"))


# Bench workloads with flags of their own, run by their modules.
_BENCH_MODULES = {
    "soak": "chinwag.bench.soak",
    "presence": "chinwag.bench.presence_cost",
    "prefill": "chinwag.bench.prefill",
    "timeline": "chinwag.bench.plot",
    "e2ee": "chinwag.bench.e2ee_cost",
    "search": "chinwag.bench.search",
    "upload": "chinwag.bench.upload",
}


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if len(args) >= 2 and args[0] == "bench" and args[1] in _BENCH_MODULES:
        module: Any = __import__(_BENCH_MODULES[args[1]], fromlist=["main"])
        sys.exit(module.main(args[2:]))
    parser = argparse.ArgumentParser(prog="chinwag", description="A self-hostable chat service.")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the server")
    _add_settings_flags(serve)
    serve.set_defaults(func=cmd_serve)
    migrate = sub.add_parser("migrate", help="apply pending schema migrations and exit")
    _add_settings_flags(migrate)
    migrate.set_defaults(func=cmd_migrate)
    for module in ("chinwag.chat.cli", "chinwag.bench.cli", "chinwag.admin_cli"):
        try:
            mod: Any = __import__(module, fromlist=["register"])
        except ImportError:
            continue
        mod.register(sub)
    ns = parser.parse_args(args)
    ns.func(ns)
