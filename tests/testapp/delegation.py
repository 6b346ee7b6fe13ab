"""Resource hooks, serializers and permissions of the test resources."""

from rest_framework import permissions, serializers

from .models import Note, Widget


class WidgetSerializer(serializers.ModelSerializer):
    class Meta:
        model = Widget
        fields = ["id", "name"]


class NoteSerializer(serializers.ModelSerializer):
    class Meta:
        model = Note
        fields = ["id", "text"]


def get_widget_queryset(*, request, queryset, action, **kwargs):
    """List the user's widgets; other actions reach any widget (object permissions decide)."""
    if action == "list":
        return queryset.filter(members=request.user)
    return queryset


def create_widget(*, request, serializer, **kwargs):
    widget = serializer.save()
    widget.members.add(request.user)
    return widget


class IsWidgetMember(permissions.BasePermission):
    def has_object_permission(self, request, view, obj):
        return obj.members.filter(pk=request.user.pk).exists()
