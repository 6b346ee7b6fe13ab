"""Serializers describing the token endpoint's request and responses (used for the OpenAPI docs).

The endpoint itself parses its parameters by hand (``views.py``) so that every failure maps to
an RFC 6749 error code; these serializers document the same shapes for integrators.
"""

from collections.abc import Mapping

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from .oauth import CLIENT_ASSERTION_TYPE, GRANT_TYPES

OAUTH_ERROR_CODES = (
    "invalid_request",
    "invalid_client",
    "invalid_grant",
    "invalid_scope",
    "unsupported_grant_type",
    "unsupported_token_type",
)


# Each describes a JSON object (the request or response body), not a model instance.
class TokenRequestSerializer(serializers.Serializer[Mapping[str, object]]):
    grant_type = serializers.ChoiceField(
        choices=list(GRANT_TYPES),
        help_text=_(
            "client_credentials: the user's e-mail in scope. "
            "urn:ietf:params:oauth:grant-type:jwt-bearer (RFC 7523): the user's e-mail in the "
            "sub of the assertion."
        ),
    )
    client_id = serializers.CharField(
        required=False,
        help_text=_("The application's client id. Omit it when using HTTP Basic."),
    )
    client_secret = serializers.CharField(
        required=False,
        write_only=True,
        style={"input_type": "password"},
        help_text=_("The application's client secret. Omit it when using HTTP Basic."),
    )
    scope = serializers.CharField(
        required=False,
        help_text=_(
            "client_credentials (required): the e-mail of the user to act for, optionally "
            "followed by space-separated scopes to narrow the token (each must be granted to the "
            "application). jwt-bearer (optional): the scopes only. Without scopes, the token "
            "carries every scope of the application."
        ),
    )
    assertion = serializers.CharField(
        required=False,
        help_text=_(
            "jwt-bearer only (required): a JWT the application signed with a registered key "
            "(RS256, PS256, ES256 or EdDSA): iss its client id, sub the user's e-mail, aud this "
            "endpoint's URL, exp, and a jti used once."
        ),
    )
    client_assertion_type = serializers.ChoiceField(
        choices=[CLIENT_ASSERTION_TYPE],
        required=False,
        help_text=_(
            "private_key_jwt client authentication (RFC 7523 §2.2), with client_assertion."
        ),
    )
    client_assertion = serializers.CharField(
        required=False,
        help_text=_(
            "A JWT the application signed: iss and sub its client id, aud this endpoint's URL, "
            "exp, and a jti used once. Instead of a secret, never beside one."
        ),
    )


class TokenResponseSerializer(serializers.Serializer[Mapping[str, object]]):
    access_token = serializers.CharField(help_text=_("A JWT (RFC 9068) acting as the user."))
    token_type = serializers.CharField(help_text=_('Always "Bearer" unless configured.'))
    expires_in = serializers.IntegerField(help_text=_("Lifetime of the token, in seconds."))
    scope = serializers.CharField(
        required=False, help_text=_("Space-separated scopes of the token (absent when none).")
    )


# The client's credentials are documented as HTTP Basic only (the body parameters work too, as
# the operations say): a document listing both would let clients send both, which is refused.
class TokenOperationRequestSerializer(serializers.Serializer[Mapping[str, object]]):
    """The body of the revocation (RFC 7009) and introspection (RFC 7662) requests."""

    token = serializers.CharField(help_text=_("An access token issued to this application."))
    token_type_hint = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text=_("Accepted and ignored: this server issues access tokens only."),
    )


class UserRevocationRequestSerializer(serializers.Serializer[Mapping[str, object]]):
    email = serializers.EmailField(help_text=_("The e-mail of the user whose tokens to revoke."))


class IntrospectionResponseSerializer(serializers.Serializer[Mapping[str, object]]):
    """RFC 7662 §2.2: only ``active`` when it is false."""

    active = serializers.BooleanField(help_text=_("Whether the token would authenticate now."))
    scope = serializers.CharField(
        required=False, help_text=_("Space-separated scopes the token still grants.")
    )
    client_id = serializers.CharField(required=False, help_text=_("The token's application."))
    username = serializers.CharField(required=False, help_text=_("The user's username."))
    token_type = serializers.CharField(required=False, help_text=_('"Bearer".'))
    exp = serializers.IntegerField(required=False, help_text=_("Expiry (seconds since 1970)."))
    iat = serializers.IntegerField(required=False, help_text=_("Issue time (seconds since 1970)."))
    nbf = serializers.IntegerField(required=False, help_text=_("Not before (seconds since 1970)."))
    sub = serializers.CharField(
        required=False,
        help_text=_("The user: its primary key, or INTROSPECTION_SUBJECT_FIELD."),
    )
    aud = serializers.CharField(required=False, help_text=_("The token's audience."))
    iss = serializers.CharField(required=False, help_text=_("The token's issuer."))
    jti = serializers.CharField(required=False, help_text=_("The token's identifier."))


class OAuthErrorSerializer(serializers.Serializer[Mapping[str, object]]):
    error = serializers.ChoiceField(choices=OAUTH_ERROR_CODES, help_text=_("RFC 6749 §5.2 code."))
    error_description = serializers.CharField(help_text=_("Human-readable explanation."))


class ErrorDetailSerializer(serializers.Serializer[Mapping[str, object]]):
    detail = serializers.CharField()
