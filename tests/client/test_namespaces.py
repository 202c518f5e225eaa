"""Class-based namespaces on the client: ``ClientNamespace`` and ``AsyncClientNamespace``."""

from __future__ import annotations

from support.clients import arun

from .peers import AsyncInbox, Inbox


def test_async_client_namespace(client_impl, target_server):
    assert client_impl.AsyncClientNamespace is not None, f'{client_impl.name} has no AsyncClientNamespace'
    inbox = AsyncInbox()

    class Chat(client_impl.AsyncClientNamespace):
        async def on_connect(self):
            inbox.put('connect', self.namespace)

        async def on_echo_reply(self, *args):
            inbox.put('echo_reply', *args)

        async def on_question(self, data):
            return data + 1

        async def on_disconnect(self, reason=None):
            inbox.put('disconnect', reason)

    async def body():
        sio = client_impl.AsyncClient(reconnection=False)
        chat = Chat('/chat')
        sio.register_namespace(chat)
        await sio.connect(target_server.url, namespaces=['/chat'], wait_timeout=5)
        try:
            assert await inbox.wait_for('connect') == ('/chat',)
            await chat.emit('echo', 'from the class')  # the namespace's own verbs default to its namespace
            assert await inbox.wait_for('echo_reply') == ('from the class',)
            assert await chat.call('ask', {'event': 'question', 'data': 1}, timeout=10) == 2
        finally:
            await chat.disconnect()
        assert await inbox.wait_for('disconnect') == ('client disconnect',)

    arun(body())


def test_client_namespace(client_impl, target_server):
    assert client_impl.ClientNamespace is not None, f'{client_impl.name} has no ClientNamespace'
    inbox = Inbox()

    class Chat(client_impl.ClientNamespace):
        def on_connect(self):
            inbox.put('connect', self.namespace)

        def on_echo_reply(self, *args):
            inbox.put('echo_reply', *args)

        def on_question(self, data):
            return data + 1

    sio = client_impl.Client(reconnection=False)
    chat = Chat('/chat')
    sio.register_namespace(chat)
    sio.connect(target_server.url, namespaces=['/chat'], wait_timeout=5)
    try:
        assert inbox.wait_for('connect') == ('/chat',)
        chat.emit('echo', ('from', 'the class'))
        assert inbox.wait_for('echo_reply') == ('from', 'the class')
        assert chat.call('ask', {'event': 'question', 'data': 41}, timeout=10) == 42
    finally:
        sio.disconnect()
