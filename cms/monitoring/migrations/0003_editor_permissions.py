"""Lets Wagtail's Editors and Moderators groups manage feeds, rules and items' tags in /cms/.

Items are never added by hand (they come from feeds and pages), so no group
gets "add feed item". Groups that do not exist are left alone.
"""

from django.db import migrations

GRANTS = {
    "externalfeed": ("add", "change", "delete", "view"),
    "taggingrule": ("add", "change", "delete", "view"),
    "feeditem": ("change", "view"),
}
GROUPS = ("Editors", "Moderators")


def grant(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    # Permissions are made after migrations run; make this app's now (its content types too).
    app_config = apps.get_app_config("monitoring")
    models_module = getattr(app_config, "models_module", None)
    app_config.models_module = models_module or True  # a migration's stub has none
    try:
        create_permissions(app_config, verbosity=0, apps=apps)
    finally:
        app_config.models_module = models_module
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    wanted = [f"{action}_{model}" for model, actions in GRANTS.items() for action in actions]
    permissions = list(Permission.objects.filter(content_type__app_label="monitoring", codename__in=wanted))
    for group in Group.objects.filter(name__in=GROUPS):
        group.permissions.add(*permissions)


class Migration(migrations.Migration):
    dependencies = [
        ("monitoring", "0002_default_tagging_rules"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("wagtailadmin", "0001_create_admin_access_permissions"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
