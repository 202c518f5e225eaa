"""The external WSGI driver's request helpers: headers and peer from an environ, the driver's answer as a WSGI
response, and reading a polling request's body."""

import io

import pytest
from turbosio._external_wsgi import answer, remote_of, request_headers
from turbosio._external_wsgi_polling import _read_body


def test_request_headers_from_the_environ():
    environ = {
        'HTTP_X_FORWARDED_FOR': '1.2.3.4',
        'HTTP_COOKIE': 'io=abc',
        'CONTENT_TYPE': 'text/plain',
        'CONTENT_LENGTH': '',
        'PATH_INFO': '/socket.io/',
        'SERVER_PORT': 80,
    }
    assert sorted(request_headers(environ)) == [
        (b'content-type', b'text/plain'),
        (b'cookie', b'io=abc'),
        (b'x-forwarded-for', b'1.2.3.4'),
    ]


def test_remote_of():
    assert remote_of({'REMOTE_ADDR': '10.1.1.1', 'REMOTE_PORT': '8080'}) == ('10.1.1.1', 8080)
    assert remote_of({'REMOTE_ADDR': '10.1.1.1', 'REMOTE_PORT': ''}) == ('10.1.1.1', 0)
    assert remote_of({}) == ('', 0)


class _StartResponse:
    def __init__(self):
        self.calls = []

    def __call__(self, status, headers):
        self.calls.append((status, headers))


@pytest.mark.parametrize(
    ('status', 'line'), [(200, '200 OK'), (400, '400 Bad Request'), (413, '413 Payload Too Large'), (299, '299')]
)
def test_answer_sends_status_headers_and_body(status, line):
    start_response = _StartResponse()
    body = answer((0, status, [(b'content-type', b'text/plain; charset=UTF-8')], b'ok'), start_response)
    assert body == [b'ok']
    assert start_response.calls == [(line, [('content-type', 'text/plain; charset=UTF-8')])]


def test_read_body_by_content_length():
    stream = io.BytesIO(b'12345trailing')
    assert _read_body({'wsgi.input': stream, 'CONTENT_LENGTH': '5'}, 10) == (b'12345', False)


def test_read_body_over_the_limit_reads_nothing():
    stream = io.BytesIO(b'123456')
    assert _read_body({'wsgi.input': stream, 'CONTENT_LENGTH': '6'}, 5) == (b'', True)
    assert stream.tell() == 0


def test_read_body_without_a_length_needs_a_terminated_input():
    assert _read_body({'wsgi.input': io.BytesIO(b'abc')}, 10) == (b'', False)
    terminated = {'wsgi.input': io.BytesIO(b'abc'), 'wsgi.input_terminated': True}
    assert _read_body(terminated, 10) == (b'abc', False)
    too_long = {'wsgi.input': io.BytesIO(b'abcdef'), 'wsgi.input_terminated': True}
    assert _read_body(too_long, 5) == (b'', True)


def test_read_body_without_input():
    assert _read_body({}, 10) == (b'', False)
