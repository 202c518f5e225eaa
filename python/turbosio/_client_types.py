"""The types of the clients' arguments, shared by ``Client``, ``AsyncClient``, the simple clients and the client
namespaces (a leaf module: it imports nothing of turbosio)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeAlias

# What connect() takes as the URL and the headers: the value, or a function giving it on every (re)connection.
UrlArg: TypeAlias = str | Callable[[], str]
HeadersArg: TypeAlias = dict[str, str] | Callable[[], dict[str, str]]
# connect(transports=...) and connect(namespaces=...): one name or several; None for the default.
NamesArg: TypeAlias = str | list[str] | None
# emit(callback=...): called with the ack's arguments.
AckCallback: TypeAlias = Callable[..., Any] | None
