"""``countysim explore``: the interactive explorer in the browser (a local Solara server)."""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
from pathlib import Path

from sim.base.errors import InputError


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``explore`` subcommand."""
    p = sub.add_parser(
        "explore", help="explore scenarios interactively in the browser",
        description="Serve the interactive explorer (pick a scenario, edit levers, run or "
                    "step, maps and indicators against the baseline, export a scenario "
                    "file) on a local web server and print its address. Needs the "
                    "'explore' extra: pip install 'countysim[explore]'.")
    p.add_argument("scenario", nargs="?", default="baseline.toml",
                   help="scenario to start from: a file of the scenarios folder (with or "
                        "without .toml) or a path (default: baseline.toml)")
    p.add_argument("--port", type=_port, default=8765,
                   help="port to listen on (default: 8765; 0: any free port)")
    p.add_argument("--host", default="localhost",
                   help="address to listen on (default: localhost, this machine only)")
    p.add_argument("--scenarios", type=Path, default=None,
                   help="folder of scenario files the picker offers (default: "
                        "$COUNTYSIM_SCENARIOS, else ./scenarios, else the checkout's)")
    p.add_argument("--open", action="store_true", help="open the page in a web browser")
    p.set_defaults(handler=handle)


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"port must be a whole number, got '{text}'") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"port must be between 0 and 65535, got {value}")
    return value


def handle(args: argparse.Namespace) -> int:
    """Check the start scenario, then run the Solara server until interrupted."""
    from sim.apps.explorer import require_solara
    from sim.apps.explorer.app import START_ENV
    from sim.apps.explorer.session import Session
    from sim.model.scenario import SCENARIOS_ENV

    require_solara()
    session = Session(args.scenario, scenarios_dir=args.scenarios)  # fails early, in one line
    port = free_port(args.host, args.port)
    env = {**os.environ, SCENARIOS_ENV: str(session.scenarios_dir.resolve()),
           START_ENV: session.base,
           # Solara reports usage to Mixpanel by default; a local research tool does not.
           "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False"}
    command = [sys.executable, "-m", "solara", "run", "sim.apps.explorer.app", "--production",
               "--host", args.host, "--port", str(port), "--log-level", "warning",
               "--open" if args.open else "--no-open"]
    print(f"countysim explore: http://{args.host}:{port}/ (starting from {session.base}; "
          "Ctrl+C to stop)", flush=True)
    if os.name == "posix":  # become the server: Ctrl+C and kill reach it, nothing is orphaned
        os.execve(sys.executable, command, env)
    return subprocess.run(command, env=env, check=False).returncode


def free_port(host: str, port: int) -> int:
    """``port`` if it can be listened on (any free port for 0); InputError otherwise."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, port))
        except OSError as err:
            raise InputError(f"cannot listen on {host}:{port} ({err.strerror}); choose "
                             "another --port or --host") from None
        return int(sock.getsockname()[1])
