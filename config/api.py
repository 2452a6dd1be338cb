"""What every API view shares: pagination, errors, the schema's scope."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from community.errors import Conflict, NotAllowed, ServiceError


class Pagination(PageNumberPagination):
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100
    invalid_page_message = _("There is no page %(page_number)s.")

    def get_page_size(self, request):
        # A page_size that is not a positive number is an error, not a silent default.
        raw = request.query_params.get(self.page_size_query_param)
        if raw is not None:
            try:
                value = int(raw)
            except ValueError:
                raise exceptions.ValidationError({"page_size": [_("Must be a whole number.")]}) from None
            if value < 1:
                raise exceptions.ValidationError({"page_size": [_("Must be at least 1.")]})
            return min(value, self.max_page_size)
        return self.page_size


def exception_handler(exc, context):
    """DRF's handler, plus the services' errors: 409 for conflicts, 400 for the rest."""
    if isinstance(exc, Conflict):
        return Response({"detail": exc.message, "code": exc.code}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, ServiceError):
        return Response({"detail": exc.message, "code": exc.code}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, NotAllowed):
        exc = exceptions.PermissionDenied(str(exc) or None)
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        return Response(detail, status=status.HTTP_400_BAD_REQUEST)
    return drf_exception_handler(exc, context)


def only_api_paths(endpoints):
    """drf-spectacular would also try to document Wagtail's admin API; keep ours only."""
    return [e for e in endpoints if e[0].startswith("/api/")]
