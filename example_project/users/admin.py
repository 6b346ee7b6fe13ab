"""Admin of users: log in with ``admin_email``; identity e-mail and ``sub`` are editable."""

from django.contrib import admin
from django.contrib.auth import admin as auth_admin
from django.contrib.auth import forms as auth_forms
from django.utils.translation import gettext_lazy as _

from .models import User


class UserCreationForm(auth_forms.AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email", "admin_email")


class UserChangeForm(auth_forms.UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(auth_admin.UserAdmin):
    form = UserChangeForm
    add_form = UserCreationForm
    list_display = ("email", "sub", "admin_email", "is_active", "is_staff", "created_at")
    list_filter = ("is_staff", "is_superuser", "is_active")
    search_fields = ("email", "sub", "admin_email")
    ordering = ("email",)
    readonly_fields = ("id", "created_at", "last_login")
    fieldsets = (
        (None, {"fields": ("id", "email", "sub")}),
        (_("Admin access"), {"fields": ("admin_email", "password")}),
        (
            _("Permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Important dates"), {"fields": ("created_at", "last_login")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "admin_email", "usable_password", "password1", "password2"),
            },
        ),
    )
