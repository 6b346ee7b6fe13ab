"""Writes that cannot race: update, partial_update and destroy run in one transaction that locks
the object's row (``SELECT ... FOR UPDATE``) once it is looked up.

Of simultaneous deletes one answers 204 and the others 404; an update that loses the race to a
delete answers 404 instead of writing the row back. (SQLite serialises writers on its own and has
no row locks.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import models, router, transaction
from django.http import Http404
from rest_framework.generics import get_object_or_404
from rest_framework.request import Request
from rest_framework.response import Response

if TYPE_CHECKING:
    from abc import abstractmethod

    from rest_framework.mixins import DestroyModelMixin, UpdateModelMixin
    from rest_framework.viewsets import GenericViewSet

    class _LockingView(UpdateModelMixin, DestroyModelMixin, GenericViewSet[models.Model]):
        """What the mixin is mixed into, for the type checker only (no base at run time)."""

        @abstractmethod
        def get_model(self) -> type[models.Model]: ...

else:
    _LockingView = object

#: Actions that change the object they look up: they lock its row, in one transaction.
WRITE_ACTIONS = ("update", "partial_update", "destroy")


class RowLockingMixin(_LockingView):
    """Row locks for a DRF generic viewset with the update and destroy mixins and ``get_model()``.

    The row is locked on its primary key alone (the view's queryset may use DISTINCT or
    aggregates, which refuse ``FOR UPDATE``); if a concurrent request deleted it meanwhile, the
    answer is 404. Object permissions are then checked on an object that cannot vanish.
    """

    def get_object(self) -> models.Model:
        """Look the object up; for writes, lock its row before checking object permissions."""
        queryset = self.filter_queryset(self.get_queryset())
        lookup = self.kwargs[self.lookup_url_kwarg or self.lookup_field]
        obj = get_object_or_404(queryset, **{self.lookup_field: lookup})
        if self.action in WRITE_ACTIONS:
            self.lock_object(obj)
        self.check_object_permissions(self.request, obj)
        return obj

    def get_write_database(self) -> str:
        """The database alias written for the view's model (the transaction's)."""
        return router.db_for_write(self.get_model())

    def lock_object(self, obj: models.Model) -> None:
        """Lock the row of ``obj`` until the transaction ends; 404 if it no longer exists.

        Outside a transaction (a subclass replacing ``update`` or ``destroy``) a lock would end
        at once: nothing is done.
        """
        using = self.get_write_database()
        if not transaction.get_connection(using).in_atomic_block:
            return
        # The base manager, as save() and delete() use: "gone" means gone for them.
        rows = type(obj)._base_manager.using(using).select_for_update().filter(pk=obj.pk)
        if not rows.order_by().values_list("pk", flat=True):
            raise Http404()

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Update (or partially update) in one transaction holding the object's row lock."""
        with transaction.atomic(using=self.get_write_database()):
            return super().update(request, *args, **kwargs)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Delete in one transaction holding the object's row lock."""
        with transaction.atomic(using=self.get_write_database()):
            return super().destroy(request, *args, **kwargs)
