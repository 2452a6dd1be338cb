from django.templatetags.static import static
from django.utils.html import format_html
from wagtail import hooks

from cms.choosers import organisation_chooser_viewset, workgroup_chooser_viewset


@hooks.register("register_admin_viewset")
def register_organisation_chooser():
    return organisation_chooser_viewset


@hooks.register("register_admin_viewset")
def register_workgroup_chooser():
    return workgroup_chooser_viewset


@hooks.register("insert_global_admin_css")
def editor_css():
    return format_html('<link rel="stylesheet" href="{}">', static("cms/editor.css"))
