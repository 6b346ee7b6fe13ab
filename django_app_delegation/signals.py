"""Signals that report what the app did; receivers observe, they never decide.

* ``token_issued(sender=Application, application, user, scopes, jti, request)``
* ``delegation_denied(sender=Application, application, email, reason, request)``: ``reason`` is
  the RFC 6749 error code and ``application`` is None when the client failed authentication.
* ``user_provisioned(sender=User model, user, application, request)``
"""

from django.dispatch import Signal

token_issued = Signal()
delegation_denied = Signal()
user_provisioned = Signal()
