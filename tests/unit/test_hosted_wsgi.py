"""turbosio._hosted_wsgi.wsgi_environ: the PEP 3333 environ of a request the native server hands a hosted WSGI
app."""

from turbosio._hosted_wsgi import StreamedInput, wsgi_environ
from turbosio._kinds import HTTP


def _item(
    raw_path='/a%20b/%C3%A9',
    query='x=1',
    headers=(),
    body=b'',
    host='10.0.0.2',
    port=4321,
    more_body=False,
    method='POST',
    secure=False,
):
    return (HTTP, 7, method, '/decoded', raw_path, query, list(headers), body, host, port, more_body, secure)


def test_request_line_and_peer():
    environ = wsgi_environ(_item(), ('0.0.0.0', 5000))
    assert environ['REQUEST_METHOD'] == 'POST'
    # Percent-decoded bytes as latin-1 (PEP 3333), not the UTF-8 text decoded for ASGI.
    assert environ['PATH_INFO'] == '/a b/\xc3\xa9'
    assert environ['QUERY_STRING'] == 'x=1'
    assert environ['RAW_URI'] == environ['REQUEST_URI'] == '/a%20b/%C3%A9?x=1'
    assert (environ['REMOTE_ADDR'], environ['REMOTE_PORT']) == ('10.0.0.2', '4321')
    assert environ['SCRIPT_NAME'] == ''
    assert environ['wsgi.url_scheme'] == 'http'
    assert environ['wsgi.input_terminated'] is True


def test_no_query_and_no_peer():
    environ = wsgi_environ(_item(raw_path='/p', query='', host='', port=0), ('h', 1))
    assert environ['RAW_URI'] == '/p'
    assert (environ['REMOTE_ADDR'], environ['REMOTE_PORT']) == ('', '')


def test_headers_become_cgi_keys_and_repeats_are_joined():
    headers = [(b'x-trace', b'1'), (b'X-Trace', b'2'), (b'content-type', b'application/json'), (b'accept', b'*/*')]
    environ = wsgi_environ(_item(headers=headers), ('h', 1))
    assert environ['HTTP_X_TRACE'] == '1,2'
    assert environ['CONTENT_TYPE'] == 'application/json'
    assert environ['HTTP_ACCEPT'] == '*/*'
    assert 'HTTP_CONTENT_TYPE' not in environ


def test_headers_with_underscores_are_dropped():
    # x_user would become HTTP_X_USER and shadow the x-user header a proxy set.
    environ = wsgi_environ(_item(headers=[(b'x_user', b'mallory'), (b'x-user', b'alice')]), ('h', 1))
    assert environ['HTTP_X_USER'] == 'alice'


def test_a_whole_body_is_read_from_wsgi_input_with_its_length():
    environ = wsgi_environ(_item(body=b'hello', headers=[(b'content-length', b'999')]), ('h', 1))
    assert environ['wsgi.input'].read() == b'hello'
    assert environ['CONTENT_LENGTH'] == '5'


def test_no_body_no_length():
    environ = wsgi_environ(_item(body=b'', method='GET'), ('h', 1))
    assert 'CONTENT_LENGTH' not in environ
    assert environ['wsgi.input'].read() == b''


def test_a_streamed_body_keeps_the_declared_length_and_reads_from_the_stream():
    body_input = StreamedInput(None, 7, None, b'')  # never read here: no core needed
    environ = wsgi_environ(
        _item(body=b'head', more_body=True, headers=[(b'content-length', b'100')]), ('h', 1), body_input
    )
    assert environ['CONTENT_LENGTH'] == '100'
    assert environ['wsgi.input'].raw is body_input


def test_server_name_from_the_host_header():
    assert _server(b'example.com:8080') == ('example.com', '8080')
    assert _server(b'example.com') == ('example.com', '80')
    assert _server(b'[::1]:5000') == ('[::1]', '5000')
    assert _server(b'[::1]') == ('[::1]', '80')


def test_over_tls_the_scheme_is_https_and_the_default_port_443():
    environ = wsgi_environ(_item(headers=[(b'host', b'example.com')], secure=True), ('h', 1))
    assert environ['wsgi.url_scheme'] == 'https'
    assert (environ['SERVER_NAME'], environ['SERVER_PORT']) == ('example.com', '443')
    assert wsgi_environ(_item(), ('h', 1))['wsgi.url_scheme'] == 'http'


def test_server_name_without_a_host_header_is_the_bound_address():
    environ = wsgi_environ(_item(), ('127.0.0.1', 5001))
    assert (environ['SERVER_NAME'], environ['SERVER_PORT']) == ('127.0.0.1', '5001')


def _server(host: bytes) -> tuple[str, str]:
    environ = wsgi_environ(_item(headers=[(b'host', host)]), ('unused', 1))
    return environ['SERVER_NAME'], environ['SERVER_PORT']
