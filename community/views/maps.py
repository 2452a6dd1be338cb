"""The map of Europe and the coverage page (to be completed)."""

from django.shortcuts import render


def europe_map(request):
    return render(request, "community/map.html", {})


def coverage(request):
    return render(request, "community/coverage.html", {})
