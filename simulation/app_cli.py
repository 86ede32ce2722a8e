"""The ``modelfirst app`` command: serve the browser app with Solara."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from typing import Annotated

import typer

logger = logging.getLogger(__name__)


def app_command(
    host: Annotated[
        str,
        typer.Option(help="Address to listen on; 0.0.0.0 exposes the app to others."),
    ] = "127.0.0.1",
    port: Annotated[
        int, typer.Option(min=1, max=65535, help="Port to listen on.")
    ] = 8765,
) -> None:
    """Serve the browser app at http://HOST:PORT until interrupted (Ctrl+C)."""
    command = [
        sys.executable,
        "-m",
        "solara",
        "run",
        "simulation.app:page",
        "--host",
        host,
        "--port",
        str(port),
        "--production",
        "--no-open",
        "--no-check-version",
    ]
    # The app works offline: no version check against the package index and
    # no usage telemetry, which Solara otherwise sends by default.
    environment = {**os.environ, "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False"}
    logger.info("starting the app server: %s", " ".join(command))
    typer.echo(f"Serving the app at http://{host}:{port} (Ctrl+C stops it)")
    try:
        returncode = subprocess.call(command, env=environment)
    except KeyboardInterrupt:
        returncode = 0
    logger.info("app server stopped with exit code %d", returncode)
    if returncode:
        raise typer.Exit(returncode)
