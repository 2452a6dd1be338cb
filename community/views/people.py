"""People: a profile page, its editing, and one's organisations."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from community import selectors, services
from community.forms import ProfileForm
from community.models import User


def profile_detail(request, user_id):
    person = selectors.user_get_visible(viewer=request.user, user_id=user_id)
    return render(request, "community/profile_detail.html", {"person": person})


@login_required
def profile_edit(request):
    user = User.objects.get(pk=request.user.pk)
    form = ProfileForm(request.POST or None, request.FILES or None, instance=user)
    if request.method == "POST" and form.is_valid():
        changes = {name: form.cleaned_data[name] for name in form.changed_data if name != "interests"}
        interests = form.cleaned_data["interests"] if "interests" in form.changed_data else None
        if changes.get("avatar") is False:
            changes["avatar"] = ""  # "clear" was ticked
        fresh = User.objects.get(pk=request.user.pk)
        try:
            services.user_profile_update(actor=request.user, user=fresh, interests=interests, **changes)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, _("Your profile is saved."))
            response = redirect("community:profile-edit")
            if "language" in changes:
                from django.conf import settings

                response.set_cookie(settings.LANGUAGE_COOKIE_NAME, changes["language"] or "", samesite="Lax")
            return response
    return render(request, "community/profile_form.html", {"form": form})


@login_required
def my_organisations(request):
    return render(
        request,
        "community/my_organisations.html",
        {"memberships": selectors.organisations_of(user=request.user)},
    )


@login_required
def people_search(request):
    """People to start a conversation with: an htmx partial of checkboxes."""
    people = selectors.people_search(viewer=request.user, q=request.GET.get("q", "")[:100])
    return render(request, "community/_people_choices.html", {"people": people, "q": request.GET.get("q", "")})
