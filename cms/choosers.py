"""Choosers in the page editor for the directory's organisations and the working groups.

Editors pick what a story features from a searchable modal. The organisation
directory is public, so every organisation is offered; working groups are
offered as the editor may see them (workgroup_list_visible), so choosing one
never reveals a secret group the editor is not a member of.
"""

from django import forms
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms.choosers import BaseFilterForm
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.generic.chooser import (
    ChooseResultsView,
    ChooseView,
    ChosenMultipleView,
    ChosenView,
)
from wagtail.admin.viewsets.chooser import ChooserViewSet

from community.models import Organisation
from workgroups.models import Workgroup
from workgroups.selectors import workgroup_list_visible


class NamedListMixin:
    """Listed by name, case aside, under a "Name" heading."""

    ordering = (Lower("name"), "pk")

    @property
    def title_column(self):
        column = super().title_column
        column.label = _("Name")
        return column


class NameFilterForm(BaseFilterForm):
    q = forms.CharField(
        label=_("Search term"),
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("Search by name")}),
    )

    def filter(self, objects):
        objects = super().filter(objects)
        query = (self.cleaned_data.get("q") or "").strip()
        if query:
            objects = objects.filter(name__icontains=query)
            self.is_searching = True
            self.search_query = query
        return objects


# Organisations: the public directory.


class OrganisationListMixin(NamedListMixin):
    filter_form_class = NameFilterForm

    def get_object_list(self):
        return Organisation.objects.only("pk", "name", "slug", "country", "city", "kind")

    @property
    def columns(self):
        return [
            *super().columns,
            Column("country", label=_("Country"), accessor=lambda o: o.country.name),
            Column("kind", label=_("Kind"), accessor="get_kind_display"),
        ]


class OrganisationChooseView(OrganisationListMixin, ChooseView):
    pass


class OrganisationChooseResultsView(OrganisationListMixin, ChooseResultsView):
    pass


class OrganisationChooserViewSet(ChooserViewSet):
    model = Organisation
    icon = "group"
    choose_one_text = _("Choose an organisation")
    choose_another_text = _("Choose another organisation")
    edit_item_text = _("Edit")
    choose_view_class = OrganisationChooseView
    choose_results_view_class = OrganisationChooseResultsView


# Working groups: only those the editor may see.


def _visible_groups(request):
    return workgroup_list_visible(user=request.user).only("pk", "name", "slug", "visibility")


class WorkgroupListMixin(NamedListMixin):
    filter_form_class = NameFilterForm

    def get_object_list(self):
        return _visible_groups(self.request)

    @property
    def columns(self):
        return [
            *super().columns,
            Column("visibility", label=_("Visibility"), accessor="get_visibility_display"),
        ]


class WorkgroupChooseView(WorkgroupListMixin, ChooseView):
    pass


class WorkgroupChooseResultsView(WorkgroupListMixin, ChooseResultsView):
    pass


class WorkgroupChosenView(ChosenView):
    def get_object(self, pk):
        return _visible_groups(self.request).get(pk=pk)


class WorkgroupChosenMultipleView(ChosenMultipleView):
    def get_objects(self, pks):
        return _visible_groups(self.request).filter(pk__in=pks)


class WorkgroupChooserViewSet(ChooserViewSet):
    model = Workgroup
    icon = "group"
    choose_one_text = _("Choose a working group")
    choose_another_text = _("Choose another working group")
    edit_item_text = _("Edit")
    choose_view_class = WorkgroupChooseView
    choose_results_view_class = WorkgroupChooseResultsView
    chosen_view_class = WorkgroupChosenView
    chosen_multiple_view_class = WorkgroupChosenMultipleView


organisation_chooser_viewset = OrganisationChooserViewSet(
    "organisation_chooser", url_prefix="choose/organisations"
)
workgroup_chooser_viewset = WorkgroupChooserViewSet(
    "workgroup_chooser", url_prefix="choose/workgroups"
)
