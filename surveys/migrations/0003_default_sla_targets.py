from django.db import migrations

DEFAULTS = [
    # priority, first response hours, resolution hours
    (1, 48, 240),
    (2, 24, 120),
    (3, 8, 48),
    (4, 2, 24),
]


def create_targets(apps, schema_editor):
    target = apps.get_model("surveys", "SLATarget")
    for priority, first_response, resolution in DEFAULTS:
        target.objects.get_or_create(
            priority=priority,
            defaults={"first_response_hours": first_response, "resolution_hours": resolution},
        )


class Migration(migrations.Migration):
    dependencies = [("surveys", "0002_replytemplate_slatarget_complaint_complaintevent_and_more")]

    operations = [migrations.RunPython(create_targets, migrations.RunPython.noop)]
