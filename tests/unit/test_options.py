"""turbosio._options: python-engineio's keyword arguments, checked and turned into ServerCore's."""

import logging

import pytest
from turbosio._options import core_options, cors_callable, make_logger


def test_defaults():
    assert core_options({}) == {
        'ping_interval': 25.0,
        'ping_timeout': 20.0,
        'max_http_buffer_size': 1_000_000,
        'transports': None,
        'cors_allowed_origins': None,
        'cors_credentials': True,
        'cookie': None,
        'allow_upgrades': True,
        'http_compression': True,
        'compression_threshold': 1024,
        'max_queue_frames': 10_000,
        'max_queue_bytes': 16 * 1024 * 1024,
    }


def test_the_outbound_queue_bounds_pass_through():
    options = core_options({'max_queue_packets': 64, 'max_queue_bytes': 65536})
    assert (options['max_queue_frames'], options['max_queue_bytes']) == (64, 65536)


def test_unknown_options_are_ignored():
    assert core_options({'async_mode': 'asgi', 'monitor_clients': False}) == core_options({})


def test_a_ping_interval_grace_period_widens_the_timeout():
    options = core_options({'ping_interval': (10, 5), 'ping_timeout': 3})
    assert (options['ping_interval'], options['ping_timeout']) == (10.0, 8.0)


def test_a_zero_grace_period_adds_nothing():
    options = core_options({'ping_interval': [10, 0]})
    assert (options['ping_interval'], options['ping_timeout']) == (10.0, 20.0)


@pytest.mark.parametrize(
    ('options', 'message'),
    [
        ({'ping_interval': 0}, 'ping_interval must be a positive number'),
        ({'ping_interval': -1}, 'ping_interval must be a positive number'),
        ({'ping_interval': True}, 'ping_interval must be a positive number'),
        ({'ping_interval': '25'}, 'ping_interval must be a positive number'),
        ({'ping_interval': (10, -1)}, 'ping_interval grace period must be a positive number'),
        ({'ping_timeout': 0}, 'ping_timeout must be a positive number'),
        ({'max_http_buffer_size': 0}, 'max_http_buffer_size must be a positive integer'),
        ({'max_http_buffer_size': 1.5}, 'max_http_buffer_size must be a positive integer'),
        ({'max_http_buffer_size': False}, 'max_http_buffer_size must be a positive integer'),
        ({'transports': []}, "transports must list 'polling' and/or 'websocket'"),
        ({'transports': ['polling', 'smoke-signals']}, "transports must list 'polling' and/or 'websocket'"),
        ({'cors_allowed_origins': 5}, 'cors_allowed_origins must be None, a string, a list or a callable'),
        ({'cookie': 5}, 'cookie must be None, a string or a dict'),
        ({'max_queue_packets': 0}, 'max_queue_packets must be a positive integer'),
        ({'max_queue_bytes': 1e6}, 'max_queue_bytes must be a positive integer'),
    ],
)
def test_bad_values_raise_value_error_naming_the_option(options, message):
    with pytest.raises(ValueError, match=message):
        core_options(options)


def test_a_single_transport_string_becomes_a_list():
    assert core_options({'transports': 'websocket'})['transports'] == ['websocket']
    assert core_options({'transports': ('polling', 'websocket')})['transports'] == ['polling', 'websocket']


def test_cors_origins_as_a_tuple_or_set_become_a_list():
    assert core_options({'cors_allowed_origins': ('https://a.example',)})['cors_allowed_origins'] == [
        'https://a.example'
    ]
    assert core_options({'cors_allowed_origins': {'https://b.example'}})['cors_allowed_origins'] == [
        'https://b.example'
    ]
    assert core_options({'cors_allowed_origins': '*'})['cors_allowed_origins'] == '*'


def test_a_cors_callable_lets_every_origin_past_the_core_and_is_handed_back_separately():
    def allowed(origin: str) -> bool:
        return origin == 'https://ok.example'

    assert core_options({'cors_allowed_origins': allowed})['cors_allowed_origins'] == '*'
    assert cors_callable({'cors_allowed_origins': allowed}) is allowed
    assert cors_callable({'cors_allowed_origins': ['https://ok.example']}) is None
    assert cors_callable({}) is None


def test_a_cookie_dict_gives_its_name():
    assert core_options({'cookie': {'name': 'sticky', 'path': '/'}})['cookie'] == 'sticky'
    assert core_options({'cookie': {'path': '/'}})['cookie'] == 'io'
    assert core_options({'cookie': 'plain'})['cookie'] == 'plain'


def test_flags_and_threshold_are_coerced():
    options = core_options(
        {'cors_credentials': 0, 'allow_upgrades': '', 'http_compression': None, 'compression_threshold': '10'}
    )
    assert options['cors_credentials'] is False
    assert options['allow_upgrades'] is False
    assert options['http_compression'] is False
    assert options['compression_threshold'] == 10


def test_make_logger_uses_a_given_logger_as_is():
    mine = logging.getLogger('turbosio-unit-given')
    assert make_logger(mine, logging.getLogger('turbosio-unit-default-1')) is mine


@pytest.mark.parametrize(('flag', 'level'), [(True, logging.INFO), (False, logging.ERROR)])
def test_make_logger_sets_the_default_loggers_level_once(flag, level):
    default = logging.getLogger(f'turbosio-unit-default-{flag}')
    try:
        assert make_logger(flag, default) is default
        assert default.level == level
        assert len(default.handlers) == 1
        default.setLevel(logging.DEBUG)
        make_logger(flag, default)  # a level set elsewhere is left alone, and no second handler is added
        assert default.level == logging.DEBUG
        assert len(default.handlers) == 1
    finally:
        default.handlers.clear()
        default.setLevel(logging.NOTSET)
