"""The two roles: Staff (counter, card lookup, complaint replies) and Owner (everything).

Permissions are named by codename so a role lists what it may do even before the model that
defines the permission exists; `sync_roles` grants whatever exists now and is safe to repeat.
"""

from django.db.models import Q

STAFF = "Staff"
OWNER = "Owner"

STAFF_PERMISSIONS = [
    # Cards and the counter.
    "loyalty.view_card",
    "loyalty.add_card",
    "loyalty.use_counter",
    "loyalty.view_pointtransaction",
    "loyalty.view_cardevent",
    "loyalty.view_store",
    # Rewards at the counter.
    "rewards.view_reward",
    "rewards.view_redemption",
    "rewards.fulfil_redemption",
    # Complaints and testimonials.
    "surveys.view_complaint",
    "surveys.change_complaint",
    "surveys.add_complaintmessage",
    "surveys.view_complaintmessage",
    "surveys.view_replytemplate",
    "surveys.view_testimonial",
    "surveys.change_testimonial",
]

# Apps whose every permission an owner holds.
OWNER_APPS = [
    "accounts",
    "loyalty",
    "rewards",
    "surveys",
    "webhooks",
    "account",
    "django_tasks_database",
    "suki",
]


def sync_roles(group_model, permission_model):
    """Create the Staff and Owner groups and grant them their permissions."""
    staff, _ = group_model.objects.get_or_create(name=STAFF)
    owner, _ = group_model.objects.get_or_create(name=OWNER)
    staff_permissions = [
        permission
        for permission in permission_model.objects.filter(
            content_type__app_label__in={name.split(".")[0] for name in STAFF_PERMISSIONS}
        ).select_related("content_type")
        if f"{permission.content_type.app_label}.{permission.codename}" in STAFF_PERMISSIONS
    ]
    staff.permissions.add(*staff_permissions)
    owner.permissions.add(
        *permission_model.objects.filter(content_type__app_label__in=OWNER_APPS),
        *permission_model.objects.filter(
            content_type__app_label="auth", codename__endswith="group"
        ),
    )


def sync_after_migrate(sender, **kwargs):
    from django.contrib.auth.models import Group, Permission

    sync_roles(Group, Permission)


def owner_filter() -> Q:
    """Users who hold the Owner role: superusers and members of the Owner group."""
    return Q(is_superuser=True) | Q(groups__name=OWNER)


def is_owner(user) -> bool:
    """The one owner-role check: every owner-only page, action and service asks it."""
    return user.is_active and (user.is_superuser or user.groups.filter(name=OWNER).exists())
