"""Admin of rooms, with the roles users hold on them."""

from django.contrib import admin

from .models import ResourceAccess, Room


class ResourceAccessInline(admin.TabularInline):
    model = ResourceAccess
    extra = 0
    autocomplete_fields = ("user",)


@admin.register(Room)
class RoomAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "access_level", "pin_code", "created_at")
    list_filter = ("access_level",)
    search_fields = ("name", "slug", "pin_code")
    readonly_fields = ("id", "slug", "created_at", "updated_at")
    fields = (
        "id",
        "name",
        "slug",
        "access_level",
        "configuration",
        "pin_code",
        "created_at",
        "updated_at",
    )
    inlines = (ResourceAccessInline,)


@admin.register(ResourceAccess)
class ResourceAccessAdmin(admin.ModelAdmin):
    list_display = ("room", "user", "role", "created_at")
    list_filter = ("role",)
    search_fields = ("room__name", "room__slug", "user__email")
    autocomplete_fields = ("room", "user")
