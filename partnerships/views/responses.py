"""Placeholder views: replaced by the real pages."""

from django.http import HttpResponse


def _todo(request, *args, **kwargs):
    return HttpResponse("")


respond = board = move = partnerships = _todo
