"""Error pages that look like the rest of the site and say what happened, without details."""

from django.shortcuts import render


def _json_wanted(request) -> bool:
    return request.path.startswith("/api/")


def _answer(request, status: int, template: str, detail: str):
    if _json_wanted(request):
        from django.http import JsonResponse

        return JsonResponse({"detail": detail}, status=status)
    return render(request, template, status=status)


def not_found(request, exception=None):
    return _answer(request, 404, "404.html", "Not found.")


def forbidden(request, exception=None):
    from community.errors import NotAllowed

    # Only our own refusals carry a message written for people.
    message = str(exception) if isinstance(exception, NotAllowed) else ""
    if _json_wanted(request):
        from django.http import JsonResponse

        return JsonResponse({"detail": message or "You do not have permission to do this."}, status=403)
    return render(request, "403.html", {"exception": message}, status=403)


def bad_request(request, exception=None):
    return _answer(request, 400, "400.html", "Bad request.")


def server_error(request):
    if _json_wanted(request):
        from django.http import JsonResponse

        return JsonResponse({"detail": "Server error."}, status=500)
    # Rendered without a request context: the database or a context processor may be what failed.
    from django.http import HttpResponseServerError
    from django.template import loader

    return HttpResponseServerError(loader.get_template("500.html").render())
