"""Sign-in protection, session lifetime, two-factor authentication, request ids and security logs.

- ``client``: the client's address, the same for lockouts and for logs.
- ``logs``: the JSON log format and the request/task context every line carries.
- ``middleware``: request ids, ``Cache-Control: no-store``, the session's idle and absolute
  limits, and the gate that sends a user to a forced password change or to the second factor.
- ``signals``: security events (sign-ins, failures, lockouts) to the ``riskboard.security`` log.
- ``services``: the writes (forcing a password change, enrolling a TOTP device).
- ``views``: password change, two-factor enrolment and verification, the lockout page.
"""
