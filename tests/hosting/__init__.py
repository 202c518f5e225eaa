"""Ways to serve: natively, as ASGI or WSGI under other servers, mounted, beside web apps, from the command line."""
