"""A real moto server on loopback, for black-box tests of the installed CLI."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3

BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


START_SECONDS = 90


@contextmanager
def moto_server() -> Iterator[str]:
    """Start `moto_server` on 127.0.0.1 and yield its URL; stop it afterwards."""
    port = _free_port()
    process = subprocess.Popen(
        [str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        # moto imports every backend before it listens: a loaded CI runner needs long.
        started = time.monotonic()
        while True:
            try:
                urllib.request.urlopen(f"{url}/moto-api/", timeout=1).close()
                break
            except OSError:
                if time.monotonic() - started > START_SECONDS or process.poll() is not None:
                    raise RuntimeError("moto_server did not start") from None
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def cli_env(url: str) -> dict[str, str]:
    """The environment a user would have: credentials and AWS_ENDPOINT_URL, nothing else."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_ENDPOINT_URL=url,
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION="us-east-1",
    )
    return env


class RemoteSession:
    """A session whose clients all talk to the server at `url`, with the credentials of
    `cli_env`: what `build_world` takes to build a world over HTTP."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._session = boto3.session.Session(
            aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
        )
        self._clients: dict[str, Any] = {}

    def client(self, service: str, **kwargs: Any) -> Any:
        if service not in self._clients:
            make: Callable[..., Any] = self._session.client  # any service name
            self._clients[service] = make(service, endpoint_url=self.url, **kwargs)
        return self._clients[service]


def reset(url: str) -> None:
    """Empty the server's accounts: a fresh start for a test on a shared server."""
    request = urllib.request.Request(f"{url}/moto-api/reset", method="POST")
    urllib.request.urlopen(request, timeout=10).close()
