"""`yiwang services start|stop|status` and `yiwang migrate`: the embedded Postgres and NATS, the schema.

URLs are shown with their secrets masked: the password and the token stay in their files in DATA_DIR/services."""

from __future__ import annotations

import argparse
import json

from core.errors import Conflict
from core.masking import mask_url
from core.settings import get_settings
from ops.cli.up import running_up
from ops.embedded import EmbeddedServices
from ops.runtime import prepare, resolve


def services_cmd(args: argparse.Namespace) -> int:
    settings = get_settings()
    services = EmbeddedServices(settings.data_dir, nats_monitor=settings.nats_monitor)
    if args.action == "start":
        for name, state in services.start().items():
            print(f"{name:<9} running  pid {state.pid:<8} {mask_url(state.url)}")
        print(f"secrets   in {services.root} (postgres-password, nats-token; owner only)")
    elif args.action == "stop":
        if holder := running_up(settings.data_dir):  # its processes would lose their database under them
            raise Conflict(
                f"yiwang up runs on DATA_DIR {settings.data_dir.resolve()} ({holder}) and uses these services: "
                "stop it with Ctrl-C where it runs (it stops the services it started)"
            )
        stopped = services.stop()
        print("stopped: " + (", ".join(stopped) if stopped else "nothing was running"))
    else:
        status = services.status()
        if args.json:
            shown = {k: (vars(v) | {"url": mask_url(v.url)} if v else None) for k, v in status.items()}
            print(json.dumps(shown, indent=2))
            return 0
        for name, current in status.items():
            print(f"{name:<9} " + (f"running  pid {current.pid:<8} {mask_url(current.url)}" if current else "stopped"))
            if current and current.monitor:
                print(f"{'':<9} monitoring http://127.0.0.1:{current.monitor}/varz (and /jsz, /healthz)")
    return 0


def migrate_cmd(args: argparse.Namespace) -> int:
    applied = prepare(resolve(nats=False).settings)
    print("applied: " + ", ".join(applied) if applied else "database is up to date")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("services", help="start, stop or show the embedded Postgres and NATS of DATA_DIR")
    p.add_argument("action", choices=["start", "stop", "status"])
    p.add_argument("--json", action="store_true", help="status as JSON")
    p.set_defaults(func=services_cmd)
    m = sub.add_parser("migrate", help="apply database migrations (also done at every start)")
    m.set_defaults(func=migrate_cmd)
