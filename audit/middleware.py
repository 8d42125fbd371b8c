"""pghistory's middleware, active only where history is recorded (PostgreSQL).

pghistory prepends ``SELECT set_config(...)`` to every write while a context is open; SQLite
cannot run two statements in one call, so on SQLite (the embedded development default) requests
pass straight through and no actor is recorded, as no history is.
"""

import pghistory.middleware

from .context import history_is_recorded


class HistoryMiddleware(pghistory.middleware.HistoryMiddleware):
    """Records the requesting user, URL and client address with every change a request makes."""

    def get_context(self, request):
        from accounts.services import client_address

        return {**super().get_context(request), "ip": client_address(request)}

    def __call__(self, request):
        if not history_is_recorded():
            return self.get_response(request)
        return super().__call__(request)
