"""turbosio._handlers: argument spreading, handler lookup order, and the environ handlers receive."""

import functools

import pytest
from turbosio._handlers import HandlerRegistry, ack_args, data_args, handshake_environ, max_positional


@pytest.mark.parametrize(
    ('result', 'args'),
    [(None, ()), ((), ()), ((1, 'a'), (1, 'a')), ([1, 2], ([1, 2],)), ('x', ('x',)), (0, (0,)), (False, (False,))],
)
def test_ack_args_spreads_a_tuple_and_drops_none(result, args):
    assert ack_args(result) == args


@pytest.mark.parametrize(
    ('data', 'args'),
    [(None, ()), ((1, {'a': 2}), (1, {'a': 2})), ({'a': 1}, ({'a': 1},)), ([None], ([None],)), ('', ('',))],
)
def test_data_args_spreads_a_tuple_and_drops_none(data, args):
    assert data_args(data) == args


def _two(a, b, *, c=1):
    pass


def _star(a, *rest):
    pass


def _positional_only(a, b, /, c):
    pass


@pytest.mark.parametrize(
    ('handler', 'count'),
    [
        (_two, 2),
        (_positional_only, 3),
        (lambda: None, 0),
        (functools.partial(_two, 1), 1),
        (_star, 1 << 16),
        (print, 1 << 16),  # a builtin without a signature takes anything
    ],
)
def test_max_positional(handler, count):
    assert max_positional(handler) == count


def _handler(name):
    def handler(*args):
        return name

    handler.__name__ = name
    return handler


def test_lookup_order_follows_python_socketio():
    registry = HandlerRegistry()
    exact, ns_any, any_event, any_any = (_handler(n) for n in ('exact', 'ns_any', 'any_event', 'any_any'))
    registry.add('/chat', 'msg', exact)
    registry.add('/chat', '*', ns_any)
    registry.add('*', 'msg', any_event)
    registry.add('*', '*', any_any)
    assert registry.find('msg', '/chat', ('sid',)) == (exact, ('sid',))
    assert registry.find('other', '/chat', ('sid',)) == (ns_any, ('other', 'sid'))
    assert registry.find('msg', '/news', ('sid',)) == (any_event, ('/news', 'sid'))
    assert registry.find('other', '/news', ('sid',)) == (any_any, ('other', '/news', 'sid'))


def test_catch_all_events_never_take_connect_or_disconnect():
    registry = HandlerRegistry()
    registry.add('/', '*', _handler('any'))
    registry.add('*', '*', _handler('any_any'))
    assert registry.find('connect', '/', ('sid',)) == (None, ('sid',))
    assert registry.find('disconnect', '/x', ('sid',)) == (None, ('sid',))


def test_a_catch_all_namespace_handles_connect():
    registry = HandlerRegistry()
    connect = _handler('connect')
    registry.add('*', 'connect', connect)
    assert registry.find('connect', '/x', ('sid', {})) == (connect, ('/x', 'sid', {}))
    assert registry.knows_namespace('*')
    assert not registry.knows_namespace('/x')


def test_class_namespaces_are_found_by_name_then_catch_all():
    registry = HandlerRegistry()
    chat, anything = object(), object()
    registry.namespace_handlers['/chat'] = chat
    assert registry.find_namespace('/chat', ('sid',)) == (chat, ('sid',))
    assert registry.find_namespace('/news', ('sid',)) == (None, ('sid',))
    registry.namespace_handlers['*'] = anything
    assert registry.find_namespace('/news', ('sid',)) == (anything, ('/news', 'sid'))
    assert registry.knows_namespace('/chat')


def test_arity_is_remembered_at_registration():
    registry = HandlerRegistry()
    registry.add('/', 'connect', _two)
    assert registry.arity(_two) == 2
    assert registry.arity(_star) == 1 << 16  # not registered: worked out on demand


def test_handshake_environ_of_a_request():
    request = (
        'GET',
        '/socket.io/',
        'EIO=4&transport=polling',
        [('host', 'example.com:8080'), ('x-token', 'a'), ('X-Token', 'b'), ('content-type', 'text/plain')],
        '10.0.0.1',
        5555,
        False,
    )
    environ = handshake_environ(request, 'polling')
    assert environ['REQUEST_METHOD'] == 'GET'
    assert environ['PATH_INFO'] == '/socket.io/'
    assert environ['QUERY_STRING'] == 'EIO=4&transport=polling'
    assert environ['RAW_URI'] == '/socket.io/?EIO=4&transport=polling'
    assert (environ['REMOTE_ADDR'], environ['REMOTE_PORT']) == ('10.0.0.1', '5555')
    assert environ['HTTP_X_TOKEN'] == 'a,b'  # repeated headers are joined
    assert environ['CONTENT_TYPE'] == 'text/plain'
    assert 'HTTP_CONTENT_TYPE' not in environ
    assert (environ['SERVER_NAME'], environ['SERVER_PORT']) == ('example.com', '8080')
    assert environ['turbosio.transport'] == 'polling'
    assert environ['wsgi.url_scheme'] == 'http'


def test_handshake_environ_over_tls_says_https():
    environ = handshake_environ(('GET', '/socket.io/', '', [('host', 'example.com')], '::1', 1, True), 'websocket')
    assert environ['wsgi.url_scheme'] == 'https'
    assert (environ['SERVER_NAME'], environ['SERVER_PORT']) == ('example.com', '443')


def test_handshake_environ_without_a_query_or_a_port():
    environ = handshake_environ(('GET', '/socket.io/', '', [('host', 'example.com')], '::1', 1, False), 'websocket')
    assert environ['RAW_URI'] == '/socket.io/'
    assert (environ['SERVER_NAME'], environ['SERVER_PORT']) == ('example.com', '80')
    assert environ['turbosio.transport'] == 'websocket'


def test_handshake_environ_without_a_request_is_empty():
    assert handshake_environ(None, 'polling') == {}
