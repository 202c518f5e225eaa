"""The TLS tests' certificates (a CA and a server certificate that openssl makes per run), for workers over TLS."""

from tls.conftest import pki  # noqa: F401
