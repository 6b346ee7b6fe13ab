"""System checks: each misconfiguration of ``APP_DELEGATION`` is reported under a stable id."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.checks import ERROR, WARNING
from django.core.management import call_command

from django_app_delegation.checks import check_application_scopes, check_settings
from django_app_delegation.conf import DEFAULTS, RENAMED_SETTINGS
from django_app_delegation.models import Application

ID = "django_app_delegation"


def ids() -> list[str]:
    return [message.id for message in check_settings()]


def errors() -> list[str]:
    return [message.id for message in check_settings() if message.level >= ERROR]


# -- the test settings -----------------------------------------------------------------------


def test_test_settings_produce_no_messages():
    assert check_settings() == []


def test_check_command_passes_with_the_test_settings():
    call_command("check")


@pytest.mark.django_db
def test_check_command_with_database_checks_passes_with_the_test_settings(application):
    call_command("check", "--database", "default")


# -- E011: the setting itself ----------------------------------------------------------------


@pytest.mark.parametrize("value", ["HS256", ["SIGNING_KEY"], 42])
def test_app_delegation_must_be_a_dict(settings, value):
    settings.APP_DELEGATION = value
    assert ids() == [f"{ID}.E011"]


# -- E001, E002, E007, E008: keys and algorithms ---------------------------------------------


def test_missing_signing_key_is_an_error(settings):
    settings.APP_DELEGATION = {
        k: v for k, v in settings.APP_DELEGATION.items() if k != "SIGNING_KEY"
    }
    assert errors() == [f"{ID}.E001"]


def test_empty_signing_key_is_an_error(delegation):
    delegation(SIGNING_KEY="")
    assert errors() == [f"{ID}.E001"]


def test_no_app_delegation_setting_reports_the_missing_signing_key(settings):
    del settings.APP_DELEGATION
    assert f"{ID}.E001" in ids()


@pytest.mark.parametrize(
    ("algorithm", "size"),
    [("HS256", 31), ("HS384", 47), ("HS512", 63), ("HS512", 32)],
)
def test_hmac_key_shorter_than_the_algorithm_output_is_an_error(delegation, algorithm, size):
    delegation(ALGORITHM=algorithm, SIGNING_KEY="k" * size)
    assert errors() == [f"{ID}.E002"]


@pytest.mark.parametrize(("algorithm", "size"), [("HS256", 32), ("HS384", 48), ("HS512", 64)])
def test_hmac_key_as_long_as_the_algorithm_output_is_accepted(delegation, algorithm, size):
    delegation(ALGORITHM=algorithm, SIGNING_KEY="k" * size)
    assert errors() == []


def test_hmac_key_length_is_counted_in_bytes(delegation):
    # 16 characters, 32 bytes in UTF-8.
    delegation(SIGNING_KEY="é" * 16)
    assert errors() == []
    delegation(SIGNING_KEY=b"k" * 31)
    assert errors() == [f"{ID}.E002"]


@pytest.mark.parametrize("algorithm", ["none", "HS1", "hs256", ""])
def test_unsupported_algorithm_is_an_error(delegation, algorithm):
    delegation(ALGORITHM=algorithm)
    assert errors() == [f"{ID}.E007"]


def test_asymmetric_algorithm_with_a_good_key_pair_is_accepted(delegation, rsa_keys):
    private, public = rsa_keys
    delegation(ALGORITHM="RS256", SIGNING_KEY=private, VERIFYING_KEY=public)
    assert errors() == []


def test_asymmetric_algorithm_without_verifying_key_is_an_error(delegation, rsa_keys):
    private, _public = rsa_keys
    delegation(ALGORITHM="RS256", SIGNING_KEY=private)
    assert errors() == [f"{ID}.E008"]


def test_asymmetric_algorithm_with_a_malformed_verifying_key_is_an_error(delegation, rsa_keys):
    private, _public = rsa_keys
    delegation(ALGORITHM="RS256", SIGNING_KEY=private, VERIFYING_KEY="not a PEM key")
    assert errors() == [f"{ID}.E008"]


def test_asymmetric_algorithm_with_an_hmac_secret_as_signing_key_is_an_error(delegation, rsa_keys):
    _private, public = rsa_keys
    delegation(ALGORITHM="RS256", SIGNING_KEY="k" * 64, VERIFYING_KEY=public)
    assert errors() == [f"{ID}.E008"]


# -- E003: unknown keys ----------------------------------------------------------------------


def test_misspelt_key_is_an_error(delegation):
    delegation(ALLOW_USER_CREATON=True)
    messages = check_settings()
    assert [message.id for message in messages] == [f"{ID}.E003"]
    assert "ALLOW_USER_CREATON" in messages[0].msg


def test_each_unknown_key_is_reported(delegation):
    delegation(ALLOW_USER_CREATON=True, SCOPE=["rooms:list"])
    assert errors() == [f"{ID}.E003", f"{ID}.E003"]


# -- E004, E015: hooks and other import strings ---------------------------------------------


@pytest.mark.parametrize(
    "path", ["nowhere.hooks.get_user", "django_app_delegation.hooks.no_such_hook"]
)
def test_unimportable_hook_is_an_error(delegation, path):
    delegation(GET_DELEGATED_USER=path)

    [message] = check_settings()

    assert message.id == f"{ID}.E004"
    assert message.msg.startswith(f'APP_DELEGATION["GET_DELEGATED_USER"]: cannot import {path!r}: ')


def test_non_callable_hook_is_an_error(delegation):
    delegation(CAN_DELEGATE=42)

    assert [(message.id, message.msg) for message in check_settings()] == [
        (f"{ID}.E015", 'APP_DELEGATION["CAN_DELEGATE"] must be a dotted path or a callable.')
    ]


def test_hook_path_to_a_non_callable_is_an_error(delegation):
    delegation(CAN_DELEGATE="django_app_delegation.conf.SETTINGS_NAME")
    assert errors() == [f"{ID}.E015"]


def test_callable_hook_is_accepted(delegation):
    delegation(CAN_DELEGATE=lambda **kwargs: True)
    assert errors() == []


def test_unimportable_throttle_class_is_an_error(delegation):
    delegation(TOKEN_VIEW_THROTTLE_CLASSES=["nowhere.throttles.Throttle"])
    assert errors() == [f"{ID}.E004"]


def test_importable_throttle_class_is_accepted(delegation):
    delegation(TOKEN_VIEW_THROTTLE_CLASSES=["rest_framework.throttling.AnonRateThrottle"])
    assert errors() == []


# -- E005: the scope vocabulary --------------------------------------------------------------


@pytest.mark.parametrize(
    "scopes",
    [
        ["rooms:list"],
        "rooms:list",
        {"rooms list": "List rooms"},
        {'rooms"list': "List rooms"},
        {"rooms\\list": "List rooms"},
        {"": "Nothing"},
        {"rooms:list": 42},
    ],
)
def test_malformed_scopes_are_an_error(delegation, scopes):
    delegation(SCOPES=scopes)
    assert errors() == [f"{ID}.E005"]


def test_empty_scopes_are_accepted(delegation):
    delegation(SCOPES={})
    assert errors() == []


# -- E006: applications and the vocabulary ---------------------------------------------------


@pytest.mark.django_db
def test_application_with_scopes_outside_the_vocabulary_is_an_error(application):
    Application.objects.filter(pk=application.pk).update(scopes=["rooms:list", "calendar:read"])
    messages = check_application_scopes(databases=["default"])
    assert [message.id for message in messages] == [f"{ID}.E006"]
    assert application.client_id in messages[0].msg
    assert "calendar:read" in messages[0].msg
    assert "rooms:list" not in messages[0].msg


@pytest.mark.django_db
def test_scope_removed_from_the_vocabulary_is_reported_on_existing_applications(
    application, delegation
):
    delegation(SCOPES={"rooms:list": "List rooms"})
    messages = check_application_scopes(databases=["default"])
    assert [message.id for message in messages] == [f"{ID}.E006"]


@pytest.mark.django_db
def test_applications_within_the_vocabulary_produce_no_error(application):
    assert check_application_scopes(databases=["default"]) == []


def test_application_scopes_are_not_checked_without_databases():
    assert check_application_scopes(databases=None) == []


# -- E009, E010: token settings --------------------------------------------------------------


@pytest.mark.parametrize("lifetime", [3600, "1h", None, timedelta(0), timedelta(seconds=-1)])
def test_access_token_lifetime_must_be_a_positive_timedelta(delegation, lifetime):
    delegation(ACCESS_TOKEN_LIFETIME=lifetime)
    assert errors() == [f"{ID}.E009"]


def test_negative_leeway_is_an_error(delegation):
    delegation(LEEWAY=timedelta(seconds=-5))
    assert errors() == [f"{ID}.E009"]


def test_token_lifetime_and_leeway_as_timedeltas_are_accepted(delegation):
    delegation(ACCESS_TOKEN_LIFETIME=timedelta(minutes=5), LEEWAY=timedelta(seconds=30))
    assert errors() == []


@pytest.mark.parametrize("claims", [["iat", "email"], ["exp", "jti"], "iat"])
def test_required_claims_outside_the_allowed_set_are_an_error(delegation, claims):
    delegation(REQUIRED_CLAIMS=claims)
    assert errors() == [f"{ID}.E010"]


@pytest.mark.parametrize("claims", [[], ["iat"], ("iat", "jti", "sub")])
def test_required_claims_within_the_allowed_set_are_accepted(delegation, claims):
    delegation(REQUIRED_CLAIMS=claims)
    assert errors() == []


# -- W001: audience --------------------------------------------------------------------------


@pytest.mark.parametrize("audience", [None, ""])
def test_unset_audience_is_a_warning(delegation, audience):
    delegation(AUDIENCE=audience)
    messages = check_settings()
    assert [message.id for message in messages] == [f"{ID}.W001"]
    assert messages[0].level == WARNING


def test_missing_audience_key_is_a_warning(settings):
    settings.APP_DELEGATION = {k: v for k, v in settings.APP_DELEGATION.items() if k != "AUDIENCE"}
    assert ids() == [f"{ID}.W001"]


def test_resource_pagination_class_none_means_drf_default_and_is_not_an_error(delegation):
    delegation(RESOURCE_PAGINATION_CLASS=None)

    assert ids() == []


def test_unimportable_resource_authentication_class_is_an_error(delegation):
    delegation(RESOURCE_AUTHENTICATION_CLASSES=["nowhere.Authentication"])
    assert errors() == [f"{ID}.E004"]


# -- W003, E023: renamed keys ----------------------------------------------------------------

RENAMED = pytest.mark.parametrize(("old", "new"), RENAMED_SETTINGS.items(), ids=RENAMED_SETTINGS)


@RENAMED
def test_a_key_spelt_with_its_old_name_is_a_warning_naming_the_new_one(delegation, old, new):
    delegation(**{old: DEFAULTS[new]})

    messages = check_settings()

    assert [(message.id, message.level) for message in messages] == [(f"{ID}.W003", WARNING)]
    assert messages[0].msg == f'APP_DELEGATION["{old}"] is deprecated; rename it to "{new}".'


def test_a_key_spelt_with_its_old_name_is_still_validated(delegation):
    delegation(LIST_SCOPE="everyone", PAGINATION_CLASS="nowhere.Pagination")

    assert ids() == [f"{ID}.W003", f"{ID}.W003", f"{ID}.E004", f"{ID}.E013"]


@RENAMED
def test_a_key_set_under_both_names_is_an_error(delegation, old, new):
    delegation(**{old: DEFAULTS[new], new: DEFAULTS[new]})

    assert [(message.id, message.msg) for message in check_settings()] == [
        (f"{ID}.E023", f'APP_DELEGATION["{old}"] and APP_DELEGATION["{new}"] are both set.')
    ]


# -- E014, W002: throttling -------------------------------------------------------------------


@pytest.mark.parametrize("value", ["allow", "deny"])
def test_throttle_cache_failure_policies_are_accepted(delegation, value):
    delegation(THROTTLE_CACHE_FAILURE=value)
    assert ids() == []


@pytest.mark.parametrize("value", ["open", "", None, True])
def test_unknown_throttle_cache_failure_policy_is_an_error(delegation, value):
    delegation(THROTTLE_CACHE_FAILURE=value)
    assert ids() == [f"{ID}.E014"]


def test_the_default_limits_without_num_proxies_are_a_warning(settings):
    """The limit per client IP and the lockout are on by default, and count by address."""
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": None}

    messages = check_settings()

    assert [(message.id, message.level) for message in messages] == [(f"{ID}.W002", WARNING)]
    assert "X-Forwarded-For" in messages[0].msg


@pytest.mark.parametrize(
    "values",
    [
        {"TOKEN_VIEW_THROTTLE_CLASSES": ["rest_framework.throttling.AnonRateThrottle"]},
        {"TOKEN_RATE_PER_IP": "10/minute"},
        {"TOKEN_LOCKOUT_FAILURES": 5},
    ],
    ids=["throttle classes", "rate per IP", "lockout"],
)
def test_each_count_by_address_without_num_proxies_is_a_warning(delegation, settings, values):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": None}
    delegation(**{"TOKEN_RATE_PER_IP": None, "TOKEN_LOCKOUT_FAILURES": 0, **values})

    assert ids() == [f"{ID}.W002"]


def test_nothing_counted_by_address_needs_no_num_proxies(delegation, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": None}
    delegation(TOKEN_RATE_PER_IP=None, TOKEN_LOCKOUT_FAILURES=0)

    assert ids() == []


def test_a_client_ip_hook_of_the_host_needs_no_num_proxies(delegation, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": None}
    delegation(GET_CLIENT_IP="tests.doubles.first_forwarded_address")

    assert ids() == []


@pytest.mark.parametrize("num_proxies", [0, 2])
def test_token_throttles_with_num_proxies_set_are_fine(delegation, settings, num_proxies):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": num_proxies}
    delegation(TOKEN_VIEW_THROTTLE_CLASSES=["rest_framework.throttling.AnonRateThrottle"])
    assert ids() == []


# -- E024-E028, E009, W005: limits, lockout, audit trail ------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "TOKEN_RATE_PER_IP",
        "TOKEN_RATE_PER_APPLICATION",
        "RESOURCE_RATE_PER_APPLICATION",
        "RESOURCE_RATE_PER_USER",
    ],
)
@pytest.mark.parametrize("rate", ["10/minute", "1/s", "500/hour", "3/day", None])
def test_rates_are_accepted(delegation, name, rate):
    delegation(**{name: rate})
    assert ids() == []


@pytest.mark.parametrize(
    "name",
    [
        "TOKEN_RATE_PER_IP",
        "TOKEN_RATE_PER_APPLICATION",
        "RESOURCE_RATE_PER_APPLICATION",
        "RESOURCE_RATE_PER_USER",
    ],
)
@pytest.mark.parametrize("rate", ["10", "ten/minute", "10/fortnight", "", 10, "/minute"])
def test_a_rate_that_does_not_parse_is_an_error(delegation, name, rate):
    delegation(**{name: rate})

    messages = check_settings()

    assert [(message.id, message.msg) for message in messages] == [
        (f"{ID}.E024", f'APP_DELEGATION["{name}"] is not a rate.')
    ]


def test_rate_overrides_map_client_ids_to_rates(delegation, application):
    delegation(TOKEN_RATE_OVERRIDES={application.client_id: "1000/minute", "other": None})
    assert ids() == []


def test_a_rate_override_that_does_not_parse_is_an_error(delegation):
    delegation(TOKEN_RATE_OVERRIDES={"abc": "lots"})

    assert [(m.id, m.msg) for m in check_settings()] == [
        (f"{ID}.E024", 'APP_DELEGATION["TOKEN_RATE_OVERRIDES"]["abc"] is not a rate.')
    ]


@pytest.mark.parametrize("value", [["abc"], "abc:10/minute", {1: "10/minute"}])
def test_rate_overrides_that_are_no_dict_of_rates_are_an_error(delegation, value):
    delegation(TOKEN_RATE_OVERRIDES=value)
    assert ids() == [f"{ID}.E025"]


def test_resource_action_rates_are_checked(resource_options):
    resource_options(
        "notes",
        ACTION_RATES_PER_APPLICATION={"create": "5/minute", "list": "often"},
        ACTION_RATES_PER_USER={"fly": "1/minute"},
    )

    assert [(m.id, m.msg) for m in check_settings()] == [
        (
            f"{ID}.E024",
            'APP_DELEGATION["RESOURCES"]["notes"]["ACTION_RATES_PER_APPLICATION"]["list"] is '
            "not a rate.",
        ),
        (
            f"{ID}.E021",
            'APP_DELEGATION["RESOURCES"]["notes"]["ACTION_RATES_PER_USER"]: unknown action(s) fly.',
        ),
    ]


def test_resource_action_rates_must_be_a_dict(resource_options):
    resource_options("notes", ACTION_RATES_PER_USER="1/minute")
    assert ids() == [f"{ID}.E025"]


@pytest.mark.parametrize("value", [-1, "10", 2.5, True])
def test_lockout_failures_must_be_a_count(delegation, value):
    delegation(TOKEN_LOCKOUT_FAILURES=value)
    assert ids() == [f"{ID}.E026"]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("TOKEN_LOCKOUT_LIFETIME", timedelta(0)),
        ("TOKEN_LOCKOUT_LIFETIME", 900),
        ("LAST_USED_UPDATE_INTERVAL", timedelta(seconds=-1)),
        ("LAST_USED_UPDATE_INTERVAL", "5m"),
    ],
)
def test_durations_of_the_lockout_and_of_last_use_must_be_timedeltas(delegation, name, value):
    delegation(**{name: value})
    assert ids() == [f"{ID}.E009"]


def test_last_used_interval_may_be_zero(delegation):
    delegation(LAST_USED_UPDATE_INTERVAL=timedelta(0))
    assert ids() == []


def test_throttle_cache_must_name_a_cache(delegation):
    delegation(THROTTLE_CACHE="redis-main")

    assert [(m.id, m.msg) for m in check_settings()] == [
        (f"{ID}.E027", "APP_DELEGATION[\"THROTTLE_CACHE\"] 'redis-main' is not an alias of CACHES.")
    ]


@pytest.mark.parametrize(
    "value", [(), ["database"], ("logging", "signal"), ("database", "logging", "signal")]
)
def test_audit_destinations_are_accepted(delegation, value):
    delegation(AUDIT_DESTINATIONS=value)
    assert ids() == []


@pytest.mark.parametrize("value", ["database", ("database", "syslog"), None])
def test_unknown_audit_destinations_are_an_error(delegation, value):
    delegation(AUDIT_DESTINATIONS=value)
    assert ids() == [f"{ID}.E028"]


@pytest.mark.parametrize("alias", ["default", "second"])
def test_limits_counted_in_a_per_process_cache_are_a_deployment_warning(delegation, alias):
    delegation(THROTTLE_CACHE=alias)

    messages = [m for m in run_deployment_checks() if m.id == f"{ID}.W005"]

    assert [m.msg for m in messages] == [
        f'APP_DELEGATION["THROTTLE_CACHE"] is {alias!r}, a LocMemCache: each server process '
        "counts the limits and the lockout on its own (a DummyCache, not at all)."
    ]


@pytest.mark.parametrize("alias", ["redis", "unreachable"])
def test_limits_counted_in_a_shared_cache_need_no_warning(delegation, alias):
    delegation(THROTTLE_CACHE=alias)

    assert f"{ID}.W005" not in [m.id for m in run_deployment_checks()]


def test_w005_is_a_deployment_check_only():
    from django.core.checks import run_checks

    assert f"{ID}.W005" not in [m.id for m in run_checks()]


def run_deployment_checks():
    from django.core.checks import run_checks

    return run_checks(include_deployment_checks=True, tags=["security"])


# -- revocation and introspection: E033-E034, W008-W009 -----------------------------------------


@pytest.mark.parametrize("field", ["", 42, ["sub"]])
def test_introspection_subject_field_of_the_wrong_type_is_e033(delegation, field):
    delegation(INTROSPECTION_SUBJECT_FIELD=field)
    assert errors() == [f"{ID}.E033"]


def test_introspection_subject_field_missing_from_the_user_model_is_e034(delegation):
    delegation(INTROSPECTION_SUBJECT_FIELD="oidc_subject")
    assert errors() == [f"{ID}.E034"]


@pytest.mark.parametrize("field", [None, "username", "email"])
def test_introspection_subject_field_of_the_user_model_is_accepted(delegation, field):
    delegation(INTROSPECTION_SUBJECT_FIELD=field)
    assert errors() == []


@pytest.mark.parametrize(
    ("claims", "expected"),
    [
        (("iat", "jti"), []),
        (("iat",), [f"{ID}.W008"]),
        (("jti",), [f"{ID}.W009"]),
        ((), [f"{ID}.W008", f"{ID}.W009"]),
    ],
)
def test_required_claims_revocation_cannot_use_are_w008_and_w009(delegation, claims, expected):
    delegation(REQUIRED_CLAIMS=claims)
    assert [i for i in ids() if i in (f"{ID}.W008", f"{ID}.W009")] == expected
