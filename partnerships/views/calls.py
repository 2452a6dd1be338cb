"""Placeholder views: replaced by the real pages."""

from django.http import HttpResponse


def _todo(request, *args, **kwargs):
    return HttpResponse("")


call_list = calls_for_you = my_calls = call_create = saved_searches = call_detail = call_edit = call_lifecycle = _todo
