from wagtail import hooks

from cms.choosers import organisation_chooser_viewset, workgroup_chooser_viewset


@hooks.register("register_admin_viewset")
def register_organisation_chooser():
    return organisation_chooser_viewset


@hooks.register("register_admin_viewset")
def register_workgroup_chooser():
    return workgroup_chooser_viewset
