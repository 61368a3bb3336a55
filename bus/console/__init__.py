"""The web console of the embedded bus: ``http://127.0.0.1:4010/console`` from ``choreo serve``.

Plain HTML, CSS and JavaScript shipped in this package (``static/``): it works offline and needs
no build step. The pages read a JSON API under ``/console/api`` (every list paged by cursor) and
follow new events through server-sent events (``/console/api/stream``). See docs/console.md.

    from bus.console import console_routes

    app = create_app(bus, default_protocols(), routes=[*schemas_routes(bus), *console_routes(bus)])
"""

from bus.console._routes import ACTION_HEADER, Api, console_routes

__all__ = ["ACTION_HEADER", "Api", "console_routes"]
