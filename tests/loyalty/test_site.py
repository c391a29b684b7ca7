from django.core.management import call_command
from django.db import DatabaseError
from django.urls import reverse


def test_home_page_explains_the_program_and_invites_to_join(client, db):
    page = client.get("/").content.decode()
    assert "How it works" in page
    assert reverse("account_signup") in page
    assert "Join for free" in page


def test_every_page_has_a_skip_link_and_a_language_switcher(client, db):
    page = client.get(reverse("account_login")).content.decode()
    assert 'href="#main"' in page
    assert 'name="language"' in page
    for code in ["en", "fil", "fi", "id"]:
        assert f'value="{code}"' in page


def test_security_headers_forbid_inline_code_and_framing(client, db):
    response = client.get("/")
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_pages_carry_no_inline_script_or_style(client, member):
    pages = [client.get("/"), client.get(reverse("help"))]
    client.force_login(member)
    pages += [client.get(url) for url in [reverse("portal"), reverse("profile")]]
    for response in pages:
        page = response.content.decode()
        assert "style=" not in page
        assert "<script>" not in page
        assert "<script src=" in page


def test_bootstrap_is_served_from_the_project_not_a_cdn(client, db):
    page = client.get("/").content.decode()
    assert "/static/bootstrap/css/bootstrap.min.css" in page
    assert "cdn" not in page.lower()


def test_healthz_answers_ok_when_the_database_answers(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.json()["database"] == "ok"


def test_healthz_answers_503_when_the_database_does_not(client, db, monkeypatch):
    class DownConnection:
        def cursor(self):
            raise DatabaseError("down")

    monkeypatch.setattr("suki.health.connection", DownConnection())
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["status"] == "error"


def test_seed_demo_is_idempotent_and_prints_the_logins(db, capsys):
    from accounts.models import User

    call_command("seed_demo")
    first = capsys.readouterr().out
    count = User.objects.count()
    call_command("seed_demo")
    assert User.objects.count() == count
    for email in ["owner@example.com", "staff@example.com", "member@example.com"]:
        assert email in first
    assert "password" in first


def test_roles_exist_from_migrations(db):
    from django.contrib.auth.models import Group

    assert Group.objects.filter(name="Staff").exists()
    assert Group.objects.get(name="Owner").permissions.filter(codename="change_user").exists()
