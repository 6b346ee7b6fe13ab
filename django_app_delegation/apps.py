from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AppDelegationConfig(AppConfig):
    """Registers the models, the admin, the system checks and the audit trail's receiver."""

    name = "django_app_delegation"
    label = "django_app_delegation"
    verbose_name = _("Application delegation")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import audit, checks, extension_checks  # noqa: F401  (the checks: register themselves)
        from .signals import user_provisioned

        user_provisioned.connect(
            audit.record_user_provisioned, dispatch_uid="django_app_delegation.audit.provisioned"
        )

        try:
            import drf_spectacular  # noqa: F401
        except ImportError:  # pragma: no cover - drf-spectacular is optional
            return
        from . import (
            schema,  # noqa: F401  (registers the OpenAPI extensions)
            schema_oauth,  # noqa: F401
        )
        from .contrib.lasuite import schema as lasuite_schema  # noqa: F401
