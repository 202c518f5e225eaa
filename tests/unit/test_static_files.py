"""turbosio._static_files: python-engineio-style static_files maps, resolved and read."""

import pytest
from turbosio._static_files import read_static_file, resolve_static_file

FILES = {
    '/about': {'filename': 'site/about.txt', 'content_type': 'text/x-custom'},
    '/static': 'site/static',
    '/static/deep': 'elsewhere/deep',
    '/assets/': {'filename': 'site/assets', 'content_type': 'ignored/for-files-below'},
}


def test_exact_key_maps_to_its_file_with_a_guessed_type():
    assert resolve_static_file('/', {'/': 'site/index.html'}) == {
        'filename': 'site/index.html',
        'content_type': 'text/html',
    }


def test_the_root_key_is_also_a_prefix_for_every_path():
    # '/' is a prefix of every path, so it resolves as a directory; reading the file decides what is served.
    assert resolve_static_file('/x.css', {'/': 'site'})['filename'] == 'site/x.css'


def test_a_dict_entry_keeps_its_content_type():
    assert resolve_static_file('/about', FILES) == {'filename': 'site/about.txt', 'content_type': 'text/x-custom'}


@pytest.mark.parametrize(
    ('path', 'filename', 'content_type'),
    [
        ('/static/css/app.css', 'site/static/css/app.css', 'text/css'),
        # a dict entry's content_type is its own file's; files below it get a guessed one
        ('/assets/logo.png', 'site/assets/logo.png', 'image/png'),
    ],
)
def test_a_file_under_a_directory_prefix(path, filename, content_type):
    assert resolve_static_file(path, FILES) == {'filename': filename, 'content_type': content_type}


def test_the_longest_prefix_wins():
    assert resolve_static_file('/static/deep/x.css', FILES)['filename'] == 'elsewhere/deep/x.css'


def test_a_directory_serves_its_index():
    assert resolve_static_file('/static/', FILES)['filename'] == 'site/static/index.html'
    assert resolve_static_file('/static/docs/', FILES)['filename'] == 'site/static/docs/index.html'


def test_an_unknown_extension_is_octet_stream():
    assert resolve_static_file('/static/blob.zzz-unknown', FILES)['content_type'] == 'application/octet-stream'


@pytest.mark.parametrize('path', ['/elsewhere', '/staticx/a.js', '/abo', '/'])
def test_paths_outside_the_map_are_not_found(path):
    assert resolve_static_file(path, FILES) is None


@pytest.mark.parametrize(
    'path',
    ['/static/../secret.txt', '/static/js/../../secret.txt', '/static/..', '/static/./a.js', '/static//etc/passwd'],
)
def test_dot_segments_and_empty_segments_never_escape_a_directory(path):
    assert resolve_static_file(path, FILES) is None


def test_read_static_file_returns_the_bytes(tmp_path):
    target = tmp_path / 'a.bin'
    target.write_bytes(b'\x00hello')
    assert read_static_file(str(target)) == b'\x00hello'


def test_read_static_file_of_a_missing_file_or_a_directory_is_none(tmp_path):
    assert read_static_file(str(tmp_path / 'missing')) is None
    assert read_static_file(str(tmp_path)) is None
    assert read_static_file(str(tmp_path / 'missing' / 'below')) is None
