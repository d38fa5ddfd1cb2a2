"""Create the staff groups "Front desk" and "Editors" with their permissions.

Front desk works leads: views and changes them (status, assignee, urgent),
exports them, reads their history, adds notes and keeps the blocked-domain
list; it deletes nothing and cannot edit the blog. Editors get every
permission of the blog app (posts, topics, authors, references, comments)
and the post mailings (progress, test emails, retries), but no leads or
subscribers.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

FRONT_DESK = "Front desk"
EDITORS = "Editors"

# (model, actions): the codename is "<action>_<model>".
FRONT_DESK_PERMISSIONS = [
    ("lead", ["view", "change", "export"]),
    ("leadnote", ["view", "add"]),
    ("leadevent", ["view"]),
    ("blockeddomain", ["view", "add", "change"]),
]
EDITOR_APPS = ["blog"]
# The post mailings moved to the newsletter app later; they are found by
# model name so that tests can still run this on today's models.
EDITOR_EXTRA_PERMISSIONS = [
    ("postmailing", "view_postmailing"),
    ("postmailing", "change_postmailing"),
]


def create_missing_permissions(apps):
    """Permissions are normally made after migrate; make them now."""
    for app_config in apps.get_app_configs():
        # create_permissions skips apps without a models module, which is
        # how historical app configs look.
        previous = getattr(app_config, "models_module", None)
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = previous


def create_roles(apps, schema_editor):
    create_missing_permissions(apps)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")

    front_desk, _ = Group.objects.get_or_create(name=FRONT_DESK)
    wanted = [
        (model, f"{action}_{model}")
        for model, actions in FRONT_DESK_PERMISSIONS
        for action in actions
    ]
    permissions = [
        Permission.objects.get(
            content_type__app_label="leads",
            content_type__model=model,
            codename=codename,
        )
        for model, codename in wanted
    ]
    front_desk.permissions.set(permissions)

    editors, _ = Group.objects.get_or_create(name=EDITORS)
    editor_permissions = list(
        Permission.objects.filter(content_type__app_label__in=EDITOR_APPS)
    )
    editor_permissions += [
        Permission.objects.get(content_type__model=model, codename=codename)
        for model, codename in EDITOR_EXTRA_PERMISSIONS
    ]
    editors.permissions.set(editor_permissions)


def remove_roles(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Group.objects.filter(name__in=[FRONT_DESK, EDITORS]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("blog", "0001_initial"),
        ("leads", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
