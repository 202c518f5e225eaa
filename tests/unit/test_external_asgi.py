"""The external ASGI driver's request helpers: the peer of a scope, and reading a polling request's body."""

import asyncio

import pytest
from turbosio._external_asgi import client_of
from turbosio._external_asgi_polling import _read_body


@pytest.mark.parametrize(
    ('client', 'peer'),
    [
        (('127.0.0.1', 5000), ('127.0.0.1', 5000)),
        (['::1', '6000'], ('::1', 6000)),  # granian gives the port as a string
        (None, None),
        ((), None),
        (('127.0.0.1',), None),
        (('127.0.0.1', 'not-a-port'), None),
        (('127.0.0.1', None), None),
    ],
)
def test_client_of(client, peer):
    assert client_of({'client': client}) == peer


def test_client_of_a_scope_without_client():
    assert client_of({}) is None


def _receiver(*messages):
    queue = list(messages)

    async def receive():
        return queue.pop(0)

    return receive


def _read(receive, limit):
    return asyncio.run(_read_body(receive, limit))


def test_read_body_joins_the_pieces():
    receive = _receiver(
        {'type': 'http.request', 'body': b'ab', 'more_body': True},
        {'type': 'http.request', 'body': b'cd', 'more_body': True},
        {'type': 'http.request', 'body': b'e'},
    )
    assert _read(receive, 10) == (b'abcde', False)


def test_read_body_up_to_the_limit_exactly():
    assert _read(_receiver({'type': 'http.request', 'body': b'12345'}), 5) == (b'12345', False)


def test_read_body_stops_past_the_limit_without_reading_more():
    receive = _receiver(
        {'type': 'http.request', 'body': b'1234', 'more_body': True},
        {'type': 'http.request', 'body': b'56', 'more_body': True},
    )  # a third read would fail: the queue is empty
    assert _read(receive, 5) == (b'', True)


def test_read_body_of_a_client_that_left():
    receive = _receiver({'type': 'http.request', 'body': b'ab', 'more_body': True}, {'type': 'http.disconnect'})
    assert _read(receive, 10) == (b'ab', False)
