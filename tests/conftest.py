"""The fixtures of the app's tests, each defined once: settings, applications with their plaintext
secret, users, tokens, keys, the limits' caches and clock, signal receivers and the URLconf built
from the settings.

Plain functions (token requests, minted tokens, URLs) are in ``helpers.py``, test doubles in
``doubles.py``.
"""

from __future__ import annotations

import importlib
import sys

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from django.conf import settings as django_settings
from django.contrib.auth.models import Permission
from django.core.cache import cache
from django.test import override_settings
from django.urls import clear_url_caches
from django.utils import translation
from rest_framework.test import APIClient

from django_app_delegation import secrets as client_secrets
from django_app_delegation import throttling
from django_app_delegation.client_keys import parse_public_keys
from django_app_delegation.models import Application
from django_app_delegation.resources import ACTIONS
from tests import settings as test_settings
from tests.doubles import OURS, THEIRS, StoppedClock
from tests.helpers import (
    ALL_SCOPES,
    NOTE_SCOPES,
    ROLES,
    WIDGET_SCOPES,
    pem_pair,
    require_redis,
    token_for,
)
from tests.identity_provider import (
    ALLOWED_SERVICE,
    RS_CLIENT_ID,
    RS_CLIENT_SECRET,
    RS_SCOPE,
    IdentityProvider,
)

# -- settings -------------------------------------------------------------------------------------


@pytest.fixture
def delegation(settings):
    """Update ``APP_DELEGATION`` keys for one test: ``delegation(ALLOW_USER_CREATION=True)``."""

    def update(**values):
        settings.APP_DELEGATION = {**settings.APP_DELEGATION, **values}

    return update


@pytest.fixture
def resource_options(settings, delegation):
    """Update one resource's options for one test: ``resource_options("notes", ACTIONS=[...])``."""

    def update(name, **options):
        resources = settings.APP_DELEGATION["RESOURCES"]
        delegation(RESOURCES={**resources, name: {**resources[name], **options}})

    return update


@pytest.fixture
def vocabulary(settings, delegation):
    """Add scopes to the ``SCOPES`` vocabulary (before registering applications that hold them)."""

    def add(*names):
        delegation(SCOPES={**settings.APP_DELEGATION["SCOPES"], **{name: name for name in names}})

    return add


#: URLconfs that include the app's URLs, rebuilt with it when a test has imported them.
INCLUDING_URLCONFS = ("tests.schema_urls", "tests.lasuite_urls")


def _rebuild_urls():
    """Re-run the app's URL module, then the URLconfs whose resolvers include it."""
    for name in ("django_app_delegation.urls", django_settings.ROOT_URLCONF):
        importlib.reload(importlib.import_module(name))
    for name in INCLUDING_URLCONFS:
        if name in sys.modules:
            importlib.reload(sys.modules[name])
    clear_url_caches()


@pytest.fixture
def rebuild_urls():
    """Rebuild the URLconf from the settings in force: ``rebuild_urls()``.

    Routes read ``ACTIONS`` and ``LOOKUP_FIELD`` once, when the URLconf is built, so a test that
    changes them rebuilds it; the URLconf of the test settings is rebuilt afterwards.
    """
    yield _rebuild_urls
    with override_settings(APP_DELEGATION=test_settings.APP_DELEGATION):
        _rebuild_urls()


@pytest.fixture
def second_authenticator(settings):
    """Our authenticator first, then one standing in for an OIDC resource server (the views of
    ``tests.authenticator_urls`` follow it)."""
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_AUTHENTICATION_CLASSES": [OURS, THEIRS],
    }


@pytest.fixture
def legacy_hashers(settings):
    """Let Django verify the hashes a project imports from La Suite Meet (PBKDF2) or older (MD5);
    PBKDF2 with few rounds (``doubles.QuickPBKDF2PasswordHasher``) is the preferred one."""
    settings.PASSWORD_HASHERS = [
        "tests.doubles.QuickPBKDF2PasswordHasher",
        "django.contrib.auth.hashers.MD5PasswordHasher",
    ]


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the settings' language: a request with ``Accept-Language: fr`` leaves
    French active in the thread (``LocaleMiddleware`` activates it), and commands run next would
    speak it."""
    yield
    translation.deactivate()


# -- django-lasuite's resource server -------------------------------------------------------------


@pytest.fixture(scope="session")
def identity_provider_server():
    """The loopback identity provider, started once (``tests.identity_provider``)."""
    provider = IdentityProvider().start()
    yield provider
    provider.stop()


@pytest.fixture
def identity_provider(settings, identity_provider_server):
    """django-lasuite's resource server, configured as La Suite services configure it, introspecting
    at the loopback provider; ``identity_provider.issue()`` makes a token. Skips the test when
    django-lasuite is not installed."""
    authentication = pytest.importorskip("lasuite.oidc_resource_server.authentication")
    provider = identity_provider_server
    settings.OIDC_RS_BACKEND_CLASS = "tests.testapp.resource_server.UsernameSubjectBackend"
    settings.OIDC_RS_CLIENT_ID = RS_CLIENT_ID
    settings.OIDC_RS_CLIENT_SECRET = RS_CLIENT_SECRET
    settings.OIDC_RS_SCOPES = [RS_SCOPE]
    settings.OIDC_RS_AUDIENCE_CLAIM = "client_id"
    settings.OIDC_RS_ENCRYPTION_ENCODING = "A256GCM"
    settings.OIDC_RS_ENCRYPTION_ALGO = "RSA-OAEP"
    settings.OIDC_RS_SIGNING_ALGO = "ES256"
    settings.OIDC_OP_URL = provider.url
    settings.OIDC_OP_INTROSPECTION_ENDPOINT = provider.introspection_url
    settings.OIDC_VERIFY_SSL = True
    settings.OIDC_TIMEOUT = 5
    settings.OIDC_PROXY = None
    settings.OIDC_RS_ALLOWED_AUDIENCES = [ALLOWED_SERVICE]
    # django-lasuite imports its backend class once.
    authentication.get_resource_server_backend.cache_clear()
    yield provider
    provider.reset()
    authentication.get_resource_server_backend.cache_clear()


# -- applications ---------------------------------------------------------------------------------


@pytest.fixture
def make_application(db):
    """Create an application; its plaintext secret is on ``.secret`` (``""`` without one);
    ``public_keys`` is PEM text or a JWK Set document."""

    def make(
        *,
        name="Partner",
        scopes=None,
        domains=("example.com",),
        is_active=True,
        public_keys="",
        with_secret=True,
    ):
        application, secret = Application.objects.create_application(
            name=name,
            scopes=ALL_SCOPES if scopes is None else scopes,
            domains=domains,
            is_active=is_active,
            public_keys=parse_public_keys(public_keys).get("keys", []),
            with_secret=with_secret,
        )
        application.secret = secret
        return application

    return make


@pytest.fixture
def application(make_application):
    """An active application with every room scope, allowed for example.com."""
    return make_application()


@pytest.fixture
def partner(make_application):
    """Partner A: an application with every widget and note scope, allowed for example.com."""
    return make_application(name="Partner A", scopes=WIDGET_SCOPES + NOTE_SCOPES)


@pytest.fixture
def partner_b(make_application):
    """Partner B: another application with the same scopes as :func:`partner`."""
    return make_application(name="Partner B", scopes=WIDGET_SCOPES + NOTE_SCOPES)


@pytest.fixture
def editor(make_application, vocabulary, resource_options, rebuild_urls):
    """An application allowed every action on widgets and on notes, whose routes then serve every
    action (``notes:update`` and ``notes:delete`` join the vocabulary)."""
    vocabulary("notes:update", "notes:delete")
    resource_options("notes", ACTIONS=list(ACTIONS))
    rebuild_urls()
    scopes = [*WIDGET_SCOPES, *NOTE_SCOPES, "notes:update", "notes:delete"]
    return make_application(name="Editor", scopes=scopes)


@pytest.fixture
def staff_client(client, django_user_model):
    """Log ``client`` in as a staff user holding the permissions of one of ``helpers.ROLES``."""

    def login(role):
        codenames = ROLES[role]
        if codenames is None:
            django_user_model.objects.create_superuser(
                username=role, email=f"{role}@example.com", password="pw"
            )
        else:
            user = django_user_model.objects.create_user(
                username=role, email=f"{role}@example.com", password="pw", is_staff=True
            )
            user.user_permissions.set(
                Permission.objects.filter(
                    content_type__app_label="django_app_delegation", codename__in=codenames
                )
            )
        assert client.login(username=role, password="pw")
        return client

    return login


@pytest.fixture
def fast_verifications(monkeypatch):
    """Record every call to the constant-time digest comparison of client secrets."""
    calls = []
    original = client_secrets._verify_fast

    def wrapper(secret, encoded):
        calls.append((secret, encoded))
        return original(secret, encoded)

    monkeypatch.setattr(client_secrets, "_verify_fast", wrapper)
    return calls


# -- users and tokens -----------------------------------------------------------------------------


@pytest.fixture
def user(django_user_model):
    """Alice, alice@example.com."""
    return django_user_model.objects.create_user(
        username="alice", email="alice@example.com", password="unused-password"
    )


@pytest.fixture
def bob(django_user_model):
    """Bob, bob@example.com."""
    return django_user_model.objects.create_user(
        username="bob", email="bob@example.com", password="unused-password"
    )


@pytest.fixture
def access_token(application, user):
    """A token of :func:`application` for alice, with every room scope."""
    return token_for(application)


@pytest.fixture
def api_client():
    return APIClient()


# -- keys -----------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def rsa_keys():
    """PEM texts of an RSA key pair (private, public)."""
    return pem_pair(rsa.generate_private_key(public_exponent=65537, key_size=2048))


@pytest.fixture(scope="session")
def ec_keys():
    """PEM texts of a P-256 key pair (private, public)."""
    return pem_pair(ec.generate_private_key(ec.SECP256R1()))


@pytest.fixture(scope="session")
def ed25519_keys():
    """PEM texts of an Ed25519 key pair (private, public)."""
    return pem_pair(ed25519.Ed25519PrivateKey.generate())


@pytest.fixture(scope="session")
def other_rsa_keys():
    """PEM texts of another RSA key pair: an application's key it did not register."""
    return pem_pair(rsa.generate_private_key(public_exponent=65537, key_size=2048))


@pytest.fixture
def keyed_application(make_application, rsa_keys):
    """An application with every room scope, allowed for example.com, authenticating with the
    RSA public key of ``rsa_keys`` (its private half on ``.private_key``) and no secret."""
    application = make_application(name="Keyed", public_keys=rsa_keys[1], with_secret=False)
    application.private_key = rsa_keys[0]
    return application


# -- limits ---------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _fresh_limits():
    """Each test starts with no request counted: the limits count in the default cache."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def redis_cache():
    """The local Redis (see ``helpers.require_redis``): the test skips without one, or fails
    under CI."""
    return require_redis()


@pytest.fixture
def clock(monkeypatch):
    """Stop the limits' clock at the start of a day: ``clock.advance(60)`` moves it."""
    stopped = StoppedClock()
    monkeypatch.setattr(throttling, "clock", stopped)
    return stopped


# -- signals --------------------------------------------------------------------------------------


@pytest.fixture
def receive():
    """Record a signal for one test: ``calls = receive(signal)`` holds ``{"sender", **kwargs}``
    per call (thread-safe: list appends are atomic)."""
    connected = []

    def connect(signal):
        calls = []

        def receiver(signal, sender, **kwargs):
            calls.append({"sender": sender, **kwargs})

        signal.connect(receiver, weak=False)
        connected.append((signal, receiver))
        return calls

    yield connect
    for signal, receiver in connected:
        signal.disconnect(receiver)
