"""Signals that report what the app did; receivers observe, they never decide.

* ``token_issued(sender=Application, application, user, scopes, jti, request)``
* ``delegation_denied(sender=Application, application, email, reason, request)``: ``reason`` is
  the RFC 6749 error code and ``application`` is None when the client failed authentication.
* ``token_revoked(sender=Application, application, user, jti, request)``: one token revoked
  (``jti``; ``user`` may be None), or every token of (``application``, ``user``) issued until
  now (``jti`` is None); ``request`` may be None.
* ``user_provisioned(sender=User model, user, application, request)``
* ``event_recorded(sender=DelegationEvent, event, request)``: an audit event, when
  ``AUDIT_DESTINATIONS`` includes ``"signal"``; ``event`` is a ``DelegationEvent`` (saved when
  ``"database"`` is a destination too) and ``request`` may be None.
"""

from django.dispatch import Signal

token_issued = Signal()
delegation_denied = Signal()
token_revoked = Signal()
user_provisioned = Signal()
event_recorded = Signal()
