"""Fixtures for the TLS tests: a certificate authority and server certificates that openssl makes for this run,
and turbosio serving ``tls_app.py`` natively over TLS with them on a free port."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from support.servers import free_port, wait_until_accepting

TLS_DIR = Path(__file__).resolve().parent

@dataclass(frozen=True)
class Pki:
    """Files made by openssl: what a client trusts (``ca``) and what the server presents."""

    dir: Path
    ca: Path  # the authority's certificate
    cert: Path  # the server's certificate for localhost and 127.0.0.1, issued by ``ca``, RSA key
    key: Path  # its key, PKCS#8
    rsa_key: Path  # the same key, PKCS#1 ("RSA PRIVATE KEY")
    ec_cert: Path  # a second server certificate, P-256 key
    ec_key: Path  # its key, SEC1 ("EC PRIVATE KEY")


def _openssl(cwd: Path, *args: str) -> None:
    openssl = shutil.which('openssl')
    if openssl is None:
        pytest.fail('the openssl command is needed to make the test certificates')
    done = subprocess.run([openssl, *args], cwd=cwd, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, f'openssl {" ".join(args)} failed:\n{done.stderr}'


def _issue(directory: Path, name: str, newkey: tuple[str, ...]) -> None:
    """``name``.key and ``name``.pem: a key, and a certificate for localhost and 127.0.0.1 that the CA issued."""
    _openssl(directory, 'req', '-newkey', *newkey, '-nodes', '-keyout', f'{name}.key', '-out', f'{name}.csr',
             '-subj', '/CN=localhost')
    _openssl(directory, 'x509', '-req', '-in', f'{name}.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key',
             '-CAcreateserial', '-days', '2', '-extfile', 'server.ext', '-out', f'{name}.pem')


@pytest.fixture(scope='session')
def pki(tmp_path_factory) -> Pki:
    directory = tmp_path_factory.mktemp('pki')
    _openssl(directory, 'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
             '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=turbosio test CA',
             '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign')
    (directory / 'server.ext').write_text(
        'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n'
        'keyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n'
    )
    _issue(directory, 'server', ('rsa:2048',))
    _openssl(directory, 'rsa', '-in', 'server.key', '-traditional', '-out', 'server-rsa.key')
    _issue(directory, 'ec', ('ec', '-pkeyopt', 'ec_paramgen_curve:P-256'))
    _openssl(directory, 'ec', '-in', 'ec.key', '-out', 'ec-sec1.key')
    return Pki(
        dir=directory,
        ca=directory / 'ca.pem',
        cert=directory / 'server.pem',
        key=directory / 'server.key',
        rsa_key=directory / 'server-rsa.key',
        ec_cert=directory / 'ec.pem',
        ec_key=directory / 'ec-sec1.key',
    )


class TlsServer:
    """A turbosio server process serving over TLS on 127.0.0.1 and a free port; its output goes to a file, so a
    chatty server never blocks on a full pipe."""

    def __init__(self, command: list[str], port: int):
        self.port = port
        self.url = f'https://127.0.0.1:{port}'
        self._log = tempfile.TemporaryFile()
        self._output = ''
        self.proc = subprocess.Popen(
            command, cwd=TLS_DIR, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True
        )
        problem = wait_until_accepting(self.proc, port)
        if problem:
            self.stop()
            raise RuntimeError(f'{" ".join(command)} {problem}:\n{self.output()}')

    def output(self) -> str:
        """What the server printed so far (all of it once stopped)."""
        if self._log.closed:
            return self._output
        self._log.seek(0)
        return self._log.read().decode('utf-8', 'replace')

    def is_running(self) -> bool:
        return self.proc.poll() is None

    def stop(self) -> int:
        """SIGTERM (a graceful shutdown), SIGKILL if that takes more than 10 s; the exit code."""
        if self.proc.poll() is None:
            self.proc.terminate()
        try:
            code = self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait(timeout=5)
        if not self._log.closed:
            self._output = self.output()
            self._log.close()
        return code


def app_command(port: int, cert: Path, key: Path | None = None, *extra: str) -> list[str]:
    """``turbosio.run(..., ssl_certfile=cert, ssl_keyfile=key)`` from tls_app.py."""
    command = [sys.executable, str(TLS_DIR / 'tls_app.py'), '--port', str(port), '--certfile', str(cert)]
    return command + (['--keyfile', str(key)] if key is not None else []) + list(extra)


@pytest.fixture(scope='module')
def tls_server(pki) -> Iterator[TlsServer]:
    """The AsyncServer with its web app, through ``turbosio.run(..., ssl_certfile=..., ssl_keyfile=...)``."""
    port = free_port()
    server = TlsServer(app_command(port, pki.cert, pki.key), port)
    yield server
    assert server.stop() == 0, server.output()


@pytest.fixture
def start_tls_server() -> Iterator:
    """Factory for a server of the test's own, stopped when the test ends: ``start_tls_server(command_for_port)``."""
    servers: list[TlsServer] = []

    def start(command_for_port) -> TlsServer:
        port = free_port()
        servers.append(TlsServer(command_for_port(port), port))
        return servers[-1]

    yield start
    for server in servers:
        server.stop()
