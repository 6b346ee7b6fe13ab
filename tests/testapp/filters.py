"""FilterSets of the test resources (django-filter)."""

from django_filters import rest_framework as filters

from .models import Widget


class WidgetFilter(filters.FilterSet):
    """Widgets whose name contains ``?name=``."""

    name = filters.CharFilter(lookup_expr="icontains")

    class Meta:
        model = Widget
        fields = ["name"]
