"""A signed-in session's lifetime: 30 minutes idle, 12 hours in all (both settings).

Times are whole seconds since the epoch, kept in the session itself. The last-seen time is
written at most once a minute, so that reading pages does not write the session every time.
"""

from __future__ import annotations

import time

from django.conf import settings

SIGNED_IN_AT = "riskboard_signed_in_at"
SEEN_AT = "riskboard_seen_at"
# Why the last session ended, for the login page: "idle" or "absolute".
ENDED_KEY = "riskboard_session_ended"
TOUCH_EVERY_SECONDS = 60

ENDED_MESSAGES = {
    "idle": "You were signed out after {minutes} minutes without activity. Sign in again to continue.",
    "absolute": "You were signed out because you signed in more than {hours} hours ago. Sign in again to continue.",
}


def now() -> int:
    return int(time.time())


def start(session) -> None:
    """At sign-in."""
    session[SIGNED_IN_AT] = session[SEEN_AT] = now()


def expired_reason(session) -> str | None:
    """``"absolute"``, ``"idle"`` or ``None`` (still valid) for a signed-in session."""
    moment = now()
    signed_in = session.get(SIGNED_IN_AT)
    if signed_in is None:  # a session from before these limits: they start now
        start(session)
        return None
    if moment - signed_in >= settings.RISKBOARD_SESSION_ABSOLUTE_SECONDS:
        return "absolute"
    if moment - session.get(SEEN_AT, signed_in) >= settings.RISKBOARD_SESSION_IDLE_SECONDS:
        return "idle"
    return None


def touch(session) -> None:
    moment = now()
    if moment - session.get(SEEN_AT, 0) >= TOUCH_EVERY_SECONDS:
        session[SEEN_AT] = moment


def ended_message(reason: str | None) -> str | None:
    if reason not in ENDED_MESSAGES:
        return None
    return ENDED_MESSAGES[reason].format(
        minutes=settings.RISKBOARD_SESSION_IDLE_SECONDS // 60,
        hours=settings.RISKBOARD_SESSION_ABSOLUTE_SECONDS // 3600,
    )
