"""Applications' public keys (RFC 7523): PEM or a JWK Set in, a JWK Set of public keys out, through
the model, the admin and ``create_application``; the checks of the assertions' settings and of
stored keys; ``prune_used_assertions``."""

from __future__ import annotations

import json
from datetime import timedelta
from io import StringIO

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.utils import timezone

from django_app_delegation.checks import check_application_credentials, check_settings
from django_app_delegation.client_keys import parse_public_keys, thumbprint
from django_app_delegation.models import Application, UsedAssertion
from tests.helpers import add_form_data, pem_pair

ID = "django_app_delegation"
ADD_URL = "/admin/django_app_delegation/application/add/"


def change_url(application):
    return f"/admin/django_app_delegation/application/{application.pk}/change/"


def jwk_of(public_pem):
    return parse_public_keys(public_pem)["keys"][0]


# -- parsing ------------------------------------------------------------------------------------


def test_a_pem_public_key_becomes_a_jwk_named_by_its_rfc7638_thumbprint(rsa_keys):
    [key] = parse_public_keys(rsa_keys[1])["keys"]

    assert set(key) == {"kty", "n", "e", "kid", "use"}
    assert key["kid"] == thumbprint(key)
    assert len(key["kid"]) == 43  # SHA-256, base64url without padding


def test_rfc7638_thumbprint_of_the_rfcs_example():
    # RFC 7638 §3.1.
    jwk = {
        "kty": "RSA",
        "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tS"
        "oc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0"
        "_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4"
        "vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
        "e": "AQAB",
    }
    assert thumbprint(jwk) == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"


def test_a_jwk_set_keeps_kid_and_alg_and_drops_members_pointing_elsewhere(ec_keys):
    jwk = jwk_of(ec_keys[1])
    document = {
        "keys": [
            {**jwk, "kid": "partner-1", "alg": "ES256", "x5u": "https://x.example", "jku": "y"}
        ]
    }

    [key] = parse_public_keys(json.dumps(document))["keys"]

    assert key == {**jwk, "kid": "partner-1", "alg": "ES256"}


def test_a_single_jwk_and_several_pem_blocks_are_accepted(rsa_keys, ec_keys, ed25519_keys):
    single = parse_public_keys(json.dumps(jwk_of(ed25519_keys[1])))
    several = parse_public_keys(rsa_keys[1] + "\n" + ec_keys[1])

    assert [key["kty"] for key in single["keys"]] == ["OKP"]
    assert [key["kty"] for key in several["keys"]] == ["RSA", "EC"]


def test_a_certificate_gives_its_public_key():
    private = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "partner")])
    now = timezone.now()
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(private.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=1))
        .sign(private, hashes.SHA256())
    )
    pem = certificate.public_bytes(serialization.Encoding.PEM).decode()

    [key] = parse_public_keys(pem)["keys"]

    assert (key["kty"], key["crv"]) == ("EC", "P-256")


def test_blank_text_is_no_key():
    assert parse_public_keys("  ") == {}


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("private-rsa", "private_key"),
        ("private-jwk", "private_key"),
        ("oct", "private_key"),
        ("rsa-1024", "key_size"),
        ("p384", "curve"),
        ("hs256", "algorithm"),
        ("duplicate-kid", "duplicate_kid"),
        ("garbage", "invalid"),
        ("bad-json", "invalid"),
        ("use-enc", "use"),
        ("kty-unknown", "key_type"),
        ("missing-member", "invalid"),
    ],
)
def test_unfit_keys_are_refused_with_a_clear_error(text, code, rsa_keys, ec_keys):
    jwk = jwk_of(rsa_keys[1])
    texts = {
        "private-rsa": rsa_keys[0],
        "private-jwk": json.dumps({**jwk, "d": "secret"}),
        "oct": json.dumps({"kty": "oct", "k": "c2VjcmV0"}),
        "rsa-1024": pem_pair(rsa.generate_private_key(public_exponent=65537, key_size=1024))[1],
        "p384": pem_pair(ec.generate_private_key(ec.SECP384R1()))[1],
        "hs256": json.dumps({**jwk, "alg": "HS256"}),
        "duplicate-kid": json.dumps({"keys": [jwk, {**jwk_of(ec_keys[1]), "kid": jwk["kid"]}]}),
        "garbage": "not a key",
        "bad-json": "{not json",
        "use-enc": json.dumps({**jwk, "use": "enc"}),
        "kty-unknown": json.dumps({"kty": "XYZ"}),
        "missing-member": json.dumps({"kty": "RSA", "e": "AQAB"}),
    }

    with pytest.raises(ValidationError) as caught:
        parse_public_keys(texts[text])

    assert caught.value.code == code


def test_a_private_key_error_says_nothing_was_stored(rsa_keys):
    with pytest.raises(ValidationError, match=r"register the public key only\. Nothing was stored"):
        parse_public_keys(rsa_keys[0])


@pytest.mark.django_db
def test_an_application_without_secret_needs_a_public_key():
    with pytest.raises(ValidationError, match="needs a public key"):
        Application.objects.create_application(name="Nothing", with_secret=False)


@pytest.mark.django_db
def test_client_authentication_methods_follow_the_credentials(make_application, rsa_keys):
    both = make_application(public_keys=rsa_keys[1])
    keys_only = make_application(public_keys=rsa_keys[1], with_secret=False)
    secret_only = make_application()

    assert both.client_authentication_methods() == [
        "client_secret_basic",
        "client_secret_post",
        "private_key_jwt",
    ]
    assert keys_only.client_authentication_methods() == ["private_key_jwt"]
    assert secret_only.client_authentication_methods() == [
        "client_secret_basic",
        "client_secret_post",
    ]
    assert keys_only.secret == ""
    keys_only.refresh_from_db()
    assert not keys_only.has_usable_secret


# -- the admin ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_admin_adds_an_application_with_a_pem_key_and_no_secret(admin_client, rsa_keys):
    data = add_form_data(public_keys=rsa_keys[1], without_secret="on")

    response = admin_client.post(ADD_URL, data, follow=True)

    assert response.status_code == 200
    application = Application.objects.get()
    assert not application.has_usable_secret
    assert application.public_jwks == parse_public_keys(rsa_keys[1])["keys"]
    assert "Client secret" not in response.content.decode()  # No secret page.


@pytest.mark.django_db
def test_admin_refuses_no_secret_without_a_key(admin_client):
    response = admin_client.post(ADD_URL, add_form_data(without_secret="on"))

    assert response.status_code == 200
    assert "needs a public key" in response.content.decode()
    assert not Application.objects.exists()


@pytest.mark.django_db
def test_admin_refuses_a_private_key_and_does_not_show_it_back(admin_client, rsa_keys):
    response = admin_client.post(ADD_URL, add_form_data(public_keys=rsa_keys[0]))

    content = response.content.decode()
    assert "This is a private key" in content
    assert "PRIVATE KEY" not in content
    assert not Application.objects.exists()


@pytest.mark.django_db
def test_admin_change_page_shows_the_methods_and_the_keys(admin_client, keyed_application):
    content = admin_client.get(change_url(keyed_application)).content.decode()

    assert "private_key_jwt" in content
    assert keyed_application.public_jwks[0]["kid"] in content


# -- create_application -------------------------------------------------------------------------


@pytest.mark.django_db
def test_create_application_registers_a_public_key_without_secret(tmp_path, rsa_keys):
    path = tmp_path / "key.pem"
    path.write_text(rsa_keys[1])
    out = StringIO()

    call_command(
        "create_application",
        "--name=Keyed",
        "--domain=example.com",
        f"--public-key={path}",
        "--no-secret",
        "--json",
        stdout=out,
        stderr=StringIO(),
    )

    document = json.loads(out.getvalue())
    application = Application.objects.get()
    assert document == {
        "client_id": application.client_id,
        "client_secret": None,
        "kids": [application.public_jwks[0]["kid"]],
    }
    assert not application.has_usable_secret


@pytest.mark.django_db
def test_create_application_prints_the_kid_beside_the_secret(tmp_path, ec_keys):
    path = tmp_path / "key.pem"
    path.write_text(ec_keys[1])
    out = StringIO()

    call_command(
        "create_application", "--name=Both", f"--public-key={path}", stdout=out, stderr=StringIO()
    )

    lines = out.getvalue().splitlines()
    assert lines[1] == f"public key:    {Application.objects.get().public_jwks[0]['kid']}"
    assert lines[2].startswith("client_secret: ")


@pytest.mark.django_db
@pytest.mark.parametrize("case", ["no-key", "private", "missing-file"])
def test_create_application_refuses_unusable_keys(tmp_path, rsa_keys, case):
    path = tmp_path / "key.pem"
    path.write_text(rsa_keys[0])
    arguments = {
        "no-key": ["--no-secret"],
        "private": [f"--public-key={path}"],
        "missing-file": [f"--public-key={tmp_path / 'none.pem'}"],
    }[case]

    with pytest.raises(CommandError):
        call_command("create_application", "--name=X", *arguments, stderr=StringIO())

    assert not Application.objects.exists()


# -- prune_used_assertions ----------------------------------------------------------------------


@pytest.mark.django_db
def test_prune_used_assertions_deletes_expired_ones_only(keyed_application):
    now = timezone.now()
    for jti, expires_at in (("old", now - timedelta(seconds=1)), ("live", now + timedelta(60))):
        UsedAssertion.objects.create(application=keyed_application, jti=jti, expires_at=expires_at)
    dry = StringIO()
    call_command("prune_used_assertions", "--dry-run", stdout=dry)
    out = StringIO()

    call_command("prune_used_assertions", stdout=out)

    assert dry.getvalue().strip() == "1 expired assertion."
    assert out.getvalue().strip() == "Deleted 1 expired assertion."
    assert list(UsedAssertion.objects.values_list("jti", flat=True)) == ["live"]


# -- checks -------------------------------------------------------------------------------------


def ids(messages):
    return [message.id for message in messages]


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"ASSERTION_MAX_LIFETIME": timedelta(0)}, [f"{ID}.E037"]),
        ({"ASSERTION_MAX_LIFETIME": 300}, [f"{ID}.E037"]),
        ({"ASSERTION_MAX_LIFETIME": timedelta(hours=2)}, [f"{ID}.W010"]),
        ({"ASSERTION_LEEWAY": timedelta(seconds=-1)}, [f"{ID}.E038"]),
        ({"ASSERTION_LEEWAY": timedelta(minutes=6)}, [f"{ID}.E038"]),
        ({"ASSERTION_LEEWAY": 30}, [f"{ID}.E038"]),
        ({"ASSERTION_MAX_LIFETIME": timedelta(minutes=5)}, []),
    ],
)
def test_assertion_settings_are_checked(delegation, values, expected):
    delegation(**values)

    assert ids(check_settings()) == expected


@pytest.mark.django_db
def test_stored_keys_that_are_not_a_valid_jwk_set_are_an_error(keyed_application):
    Application.objects.filter(pk=keyed_application.pk).update(public_keys={"keys": [{"kty": 1}]})

    messages = check_application_credentials(databases=["default"])

    assert ids(messages) == [f"{ID}.E039"]
    assert keyed_application.client_id in messages[0].msg


@pytest.mark.django_db
def test_an_application_that_nothing_authenticates_is_a_warning(keyed_application, application):
    Application.objects.filter(pk=keyed_application.pk).update(public_keys={})

    messages = check_application_credentials(databases=["default"])

    assert ids(messages) == [f"{ID}.W011"]
    assert keyed_application.client_id in messages[0].msg


def test_application_credentials_are_not_checked_without_databases():
    assert check_application_credentials(databases=None) == []
