from django.apps import AppConfig


class RoomsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "rooms"
    verbose_name = "Rooms"

    def ready(self) -> None:
        # Register the system checks and the OpenAPI extension.
        from . import checks, schema  # noqa: F401
