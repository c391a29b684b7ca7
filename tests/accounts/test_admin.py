from django.urls import reverse


def test_admin_is_branded_with_the_business_name(owner_client, settings):
    page = owner_client.get(reverse("admin:index")).content.decode()
    assert f"Suki · {settings.BUSINESS_NAME}" in page


def test_staff_member_logs_into_the_admin(client, staff):
    response = client.post(
        reverse("admin:login"),
        {"username": staff.email, "password": "correct-horse-battery", "next": "/admin/"},
    )
    assert response.status_code == 302
    assert client.get(reverse("admin:index")).status_code == 200


def test_member_without_staff_role_cannot_enter_the_admin(client, member):
    client.force_login(member)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


def test_admin_login_is_rate_limited(client, staff):
    for _ in range(5):
        client.post(reverse("admin:login"), {"username": staff.email, "password": "wrong"})
    response = client.post(
        reverse("admin:login"), {"username": staff.email, "password": "correct-horse-battery"}
    )
    assert response.status_code == 429
    assert "Too many failed log-in attempts" in response.content.decode()
    assert not response.wsgi_request.user.is_authenticated


def test_staff_role_cannot_manage_accounts_but_owner_can(staff, owner):
    assert not staff.has_perm("accounts.change_user")
    assert owner.has_perm("accounts.change_user")
