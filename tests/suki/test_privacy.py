"""Personal data: a member's data export, erasure by the member and by the owner, the consent
history and the retention limit."""

import datetime
import json

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from accounts.models import ConsentChange, User
from accounts.roles import OWNER
from loyalty import services
from loyalty.models import Card, CardStatus, Kind, PointTransaction, Referral
from rewards import services as reward_services
from rewards.models import Redemption, RedemptionStatus
from suki import privacy
from suki.models import PrivacyAction, PrivacyRecord, PrivacySource
from surveys.models import (
    Complaint,
    ComplaintChannel,
    ComplaintStatus,
    RemedySought,
)
from surveys.models import Testimonial as WrittenTestimonial
from surveys.services import complaints as complaint_services
from surveys.services import testimonials as testimonial_services
from tests.factories import PASSWORD, UserFactory, make_card
from tests.rewards.factories import RewardFactory, top_up
from tests.surveys.factories import add_response, make_visit_survey

PHONE = "+63 917 555 0142"
WORDS = "The ube cake was stale and the barista was rude"
REPLY = "Dear Maria Reyes, we are sorry"
TESTIMONIAL = "Best kapeng barako in Quezon City"


@pytest.fixture
def rich_member(member, tiers, staff, outsider):
    """Maria with one of everything: profile, consent change, card with purchases, vouchers,
    a survey answer, a complaint with messages, a friend she invited and a testimonial."""
    member.phone = PHONE
    member.birthday = datetime.date(1990, 5, 17)
    member.save()
    services_consent(member)
    card = make_card(member)
    services.record_purchase(card, "250.00", reference="R-1001", staff=staff)
    card = top_up(card, 500)
    reward = RewardFactory(name="Free ube cake", points_cost=100, stock=5)
    used = reward_services.redeem(card, reward)
    reward_services.fulfil_redemption(used, staff=staff)
    unused = reward_services.redeem(card, reward)
    survey, nps, csat, comment = make_visit_survey()
    add_response(survey, {nps: 9, csat: 4, comment: "Lovely pandesal"}, user=member)
    complaint = complaint_services.file_complaint(
        name="Maria Reyes",
        email=member.email,
        phone=PHONE,
        category="product",
        description=WORDS,
        remedy_sought=RemedySought.APOLOGY,
        channel=ComplaintChannel.PORTAL,
        user=member,
    )
    complaint_services.reply(complaint, REPLY, author=staff)
    complaint_services.reply(complaint, "Check the oven timer", author=staff, internal=True)
    friend = UserFactory(email="friend@example.com", first_name="Fernando", last_name="Cruz")
    make_card(friend)
    Referral.objects.create(referrer=member, referred=friend)
    testimonial_services.submit_testimonial(member, 5, TESTIMONIAL)
    # Another member's data, which must appear nowhere in Maria's file.
    other = make_card(outsider)
    services.record_purchase(other, "99.00", reference="R-2002", staff=staff)
    return {"card": card, "unused": unused, "complaint": complaint, "reward": reward}


def services_consent(member):
    from accounts import consent

    consent.set_consent(member, "marketing", True, source="profile", by=member)


def personal_texts(member):
    return [member.email, "Maria", "Reyes", PHONE, WORDS, TESTIMONIAL, "Lovely pandesal"]


def test_download_my_data_holds_every_kind_of_record_and_nothing_of_anyone_else(
    member_client, member, rich_member
):
    assert member_client.get(reverse("my_data")).status_code == 200
    response = member_client.post(reverse("my_data"))

    assert response["Content-Type"].startswith("application/json")
    assert "attachment;" in response["Content-Disposition"]
    data = json.loads(response.content)
    assert data["profile"]["email"] == "member@example.com"
    assert data["profile"]["phone"] == PHONE
    assert data["profile"]["birthday"] == "1990-05-17"
    assert data["consents"]["current"] == {"marketing": True, "receipts": False}
    assert [c["where"] for c in data["consents"]["history"]] == ["profile"]
    assert [c["number"] for c in data["cards"]] == [rich_member["card"].formatted_number]
    kinds = {line["kind"] for line in data["ledger"]}
    assert {Kind.SIGNUP_BONUS, Kind.PURCHASE, Kind.GOODWILL, Kind.REDEMPTION} <= kinds
    assert sum(line["points"] for line in data["ledger"]) == rich_member["card"].balance - 200
    assert sorted(v["status"] for v in data["vouchers"]) == ["fulfilled", "issued"]
    (answers,) = data["survey_responses"]
    assert "Lovely pandesal" in [a["text"] for a in answers["answers"]]
    (complaint,) = data["complaints"]
    assert complaint["what_happened"] == WORDS
    assert [m["text"] for m in complaint["messages"]] == [REPLY]  # the internal note stays out
    assert data["referrals"]["friends_invited"][0]["status"] == "joined"
    assert data["testimonials"][0]["text"] == TESTIMONIAL

    text = response.content.decode()
    for foreign in ["outsider@example.com", "Otto", "R-2002", "friend@example.com", "Fernando"]:
        assert foreign not in text
    assert "Check the oven timer" not in text
    record = PrivacyRecord.objects.get()
    assert (record.action, record.source, record.member) == ("export", "portal", member)


def test_the_data_page_needs_a_login(client):
    response = client.post(reverse("my_data"))
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


def test_a_wrong_password_deletes_nothing(member_client, member, rich_member):
    response = member_client.post(
        reverse("delete_account"), {"password": "not-it", "understood": "on"}
    )
    assert response.status_code == 200
    assert "That is not your password." in response.content.decode()
    member.refresh_from_db()
    assert member.erased_at is None and member.is_active
    assert not PrivacyRecord.objects.exists()


def test_deleting_needs_the_box_ticked(member_client, member, rich_member):
    member_client.post(reverse("delete_account"), {"password": PASSWORD})
    member.refresh_from_db()
    assert member.erased_at is None


def test_delete_my_account_erases_the_person_and_keeps_the_ledger_true(
    client, member_client, member, rich_member, owner, staff, django_capture_on_commit_callbacks
):
    card = rich_member["card"]
    card.refresh_from_db()
    balance_before = card.balance
    lines_before = PointTransaction.objects.count()
    total_before = sum(PointTransaction.objects.values_list("points", flat=True))

    client.force_login(staff)
    for typed in ["Maria Reyes", "member@example.com", PHONE]:
        found = client.get(reverse("admin:counter"), {"query": typed})
        assert found["Location"] == reverse("admin:counter_card", args=[card.pk]), typed
    client.force_login(member)

    assert member_client.get(reverse("delete_account")).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = member_client.post(
            reverse("delete_account"), {"password": PASSWORD, "understood": "on"}
        )
    assert response.status_code == 302
    assert response["Location"] == reverse("account_deleted")
    # Logged out: the portal asks for a login again.
    assert member_client.get(reverse("portal")).status_code == 302

    card.refresh_from_db()
    assert card.status == CardStatus.CLOSED and card.balance == 0
    refund, forfeit = PointTransaction.objects.filter(card=card).order_by("-pk")[:2][::-1]
    assert (refund.kind, forfeit.kind) == (Kind.REDEMPTION_REFUND, Kind.FORFEIT)
    forfeited = PointTransaction.objects.get(card=card, kind=Kind.FORFEIT)
    assert forfeited.points == -(balance_before + 100)  # the cancelled voucher came back first
    # No line was removed; the refund and the forfeit were added.
    assert PointTransaction.objects.count() == lines_before + 2
    assert sum(PointTransaction.objects.values_list("points", flat=True)) == (
        total_before + 100 - (balance_before + 100)
    )
    assert Redemption.objects.get(pk=rich_member["unused"].pk).status == RedemptionStatus.CANCELLED
    rich_member["reward"].refresh_from_db()
    assert rich_member["reward"].stock == 4  # one used, the cancelled one restocked
    complaint = Complaint.objects.get(pk=rich_member["complaint"].pk)
    assert complaint.status == ComplaintStatus.CLOSED
    assert complaint.description == "[removed]" and complaint.email == ""
    assert WrittenTestimonial.objects.get().text == "[removed]"

    user = User.objects.get(pk=member.pk)
    assert not user.is_active and not user.has_usable_password()
    assert user.email.endswith("@erased.invalid") and user.erased_at is not None
    assert [(c.mailing_list, c.given, c.source) for c in user.consent_changes.all()][0] == (
        "marketing",
        False,
        "erasure",
    )
    record = PrivacyRecord.objects.get(action=PrivacyAction.ERASURE)
    assert record.source == PrivacySource.PORTAL

    # The person can no longer log in.
    assert not client.login(email="member@example.com", password=PASSWORD)

    # No admin list or page shows the person any more.
    client.force_login(owner)
    pages = [
        reverse("admin:loyalty_card_changelist"),
        reverse("admin:loyalty_card_change", args=[card.pk]),
        reverse("admin:loyalty_pointtransaction_changelist"),
        reverse("admin:accounts_user_changelist"),
        reverse("admin:accounts_user_change", args=[member.pk]),
        reverse("admin:rewards_redemption_changelist"),
        reverse("admin:surveys_complaint_changelist"),
        reverse("admin:surveys_complaint_case", args=[complaint.pk]),
        reverse("admin:surveys_testimonial_changelist"),
        reverse("admin:surveys_response_changelist"),
        reverse("admin:django_tasks_database_dbtaskresult_changelist"),
        reverse("admin:suki_privacyrecord_changelist"),
        reverse("admin:webhooks_delivery_changelist"),
        reverse("admin:counter_card", args=[card.pk]),
        reverse("home"),
    ]
    for page in pages:
        response = client.get(page)
        assert response.status_code == 200, page
        text = response.content.decode()
        for personal in personal_texts(member):
            assert personal not in text, (page, personal)
    # Nor do the owner's exports of members and ledger lines.
    today = timezone.localdate()
    for what in ["members", "ledger"]:
        response = client.get(
            reverse("admin:exports"),
            {"what": what, "format": "csv", "start": "2000-01-01", "end": today.isoformat()},
        )
        assert response.status_code == 200, what
        text = b"".join(response.streaming_content).decode()
        assert card.formatted_number in text, what  # the card's lines are still exported
        for personal in personal_texts(member):
            assert personal not in text, (what, personal)
    # The counter's search finds no card by the person's name, e-mail or phone.
    for typed in ["Maria Reyes", "member@example.com", PHONE]:
        response = client.get(reverse("admin:counter"), {"query": typed})
        assert "No card matches" in str(response.context["form"].errors), typed
    # Nor does any e-mail still queued or kept in the task log.
    for result in DBTaskResult.objects.all():
        assert "member@example.com" not in json.dumps(result.args_kwargs)
    # A later daily run sends the erased person nothing.
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("run_daily", "--only")
    assert all("member@example.com" not in message.to for message in mail.outbox)


def test_the_same_address_can_sign_up_again_as_a_new_member(client, member, rich_member):
    privacy.erase(member, source=PrivacySource.PORTAL)
    response = client.post(
        reverse("account_signup"),
        {
            "email": "member@example.com",
            "password1": "a-new-start-2027",
            "password2": "a-new-start-2027",
        },
    )
    assert response.status_code == 302
    again = User.objects.get(email="member@example.com")
    assert again.pk != member.pk
    new_card = Card.objects.get(user=again)
    assert new_card.pk != rich_member["card"].pk


def test_erasing_twice_does_nothing_more(member, rich_member):
    assert privacy.erase(member, source=PrivacySource.PORTAL)
    lines = PointTransaction.objects.count()
    assert privacy.erase(member, source=PrivacySource.PORTAL) == {}
    assert PointTransaction.objects.count() == lines
    assert PrivacyRecord.objects.filter(action=PrivacyAction.ERASURE).count() == 1


def test_a_closed_card_is_refused_at_the_counter(staff_client, member, rich_member):
    privacy.erase(member, source=PrivacySource.PORTAL)
    number = rich_member["card"].number
    response = staff_client.get(reverse("admin:counter"), {"query": number}, follow=True)
    assert "closed when its holder" in response.content.decode()


# The owner acting on a request received in the shop. ----------------------------------------


def test_staff_cannot_answer_personal_data_requests(staff_client, member):
    for name in ["admin:accounts_user_personal_data", "admin:accounts_user_erase"]:
        assert staff_client.get(reverse(name, args=[member.pk])).status_code == 403


def test_owner_pages_refuse_staff_accounts_and_unknown_people(owner_client, owner):
    for name in ["admin:accounts_user_personal_data", "admin:accounts_user_erase"]:
        assert owner_client.get(reverse(name, args=[owner.pk])).status_code == 404
        assert owner_client.get(reverse(name, args=[999_999])).status_code == 404


def test_owner_downloads_a_members_data_with_the_request_logged(
    owner_client, owner, member, rich_member
):
    page = owner_client.get(reverse("admin:accounts_user_change", args=[member.pk]))
    assert reverse("admin:accounts_user_erase", args=[member.pk]) in page.content.decode()
    url = reverse("admin:accounts_user_personal_data", args=[member.pk])
    refused = owner_client.post(url, {"reason": ""})
    assert refused.status_code == 200 and not PrivacyRecord.objects.exists()

    response = owner_client.post(url, {"reason": "In person at the counter, ID seen"})
    assert json.loads(response.content)["profile"]["email"] == member.email
    record = PrivacyRecord.objects.get()
    assert (record.source, record.by, record.reason) == (
        PrivacySource.SHOP,
        owner,
        "In person at the counter, ID seen",
    )


def test_owner_erases_a_member_on_request(owner_client, owner, member, rich_member):
    url = reverse("admin:accounts_user_erase", args=[member.pk])
    owner_client.post(url, {"reason": "Asked by phone"})  # the box is not ticked
    assert User.objects.get(pk=member.pk).erased_at is None

    response = owner_client.post(url, {"reason": "Asked by phone", "understood": "on"})
    assert response.status_code == 302
    assert User.objects.get(pk=member.pk).erased_at is not None
    record = PrivacyRecord.objects.get(action=PrivacyAction.ERASURE)
    assert (record.source, record.by) == (PrivacySource.SHOP, owner)
    forfeit = PointTransaction.objects.get(kind=Kind.FORFEIT)
    assert forfeit.created_by == owner


# Consent history. -------------------------------------------------------------------------


def test_profile_changes_to_consent_are_recorded(member_client, member):
    data = {"first_name": "Maria", "last_name": "Reyes", "language": "en"}
    member_client.post(reverse("profile"), {**data, "marketing_consent": "on"})
    member_client.post(reverse("profile"), {**data, "marketing_consent": "on"})  # no change
    member_client.post(reverse("profile"), {**data, "receipt_emails": "on"})
    history = [
        (c.mailing_list, c.given, c.source)
        for c in ConsentChange.objects.filter(user=member).order_by("pk")
    ]
    assert history == [
        ("marketing", True, "profile"),
        ("marketing", False, "profile"),
        ("receipts", True, "profile"),
    ]


def test_an_unsubscribe_link_is_recorded(client, member):
    from accounts.unsubscribe import make_token

    member.marketing_consent = True
    member.save()
    client.post(reverse("unsubscribe", args=[make_token(member, "marketing")]))
    change = ConsentChange.objects.get(user=member)
    assert (change.mailing_list, change.given, change.source) == ("marketing", False, "unsubscribe")


def test_consent_changed_in_the_admin_is_recorded_as_the_shops(owner_client, owner, member):
    url = reverse("admin:accounts_user_change", args=[member.pk])
    form = owner_client.get(url).context["adminform"].form
    data = {
        name: value
        for name, value in form.initial.items()
        if value is not None and name not in ("groups", "user_permissions", "password")
    }
    data.update(
        {
            "email": member.email,
            "marketing_consent": "on",
            "is_active": "on",
            "date_joined_0": member.date_joined.strftime("%Y-%m-%d"),
            "date_joined_1": member.date_joined.strftime("%H:%M:%S"),
            "consent_changes-TOTAL_FORMS": "0",
            "consent_changes-INITIAL_FORMS": "0",
        }
    )
    data.pop("last_login", None)
    data.pop("date_joined", None)
    data.pop("birthday", None)
    response = owner_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    change = ConsentChange.objects.get(user=member)
    assert (change.given, change.source, change.changed_by) == (True, "shop", owner)


# Retention. -------------------------------------------------------------------------------


@pytest.fixture
def retention(program):
    program.retention_years = 2
    program.retention_warning_days = 30
    program.save()
    return program


def test_inactive_members_are_warned_then_erased(
    retention, tiers, staff, django_capture_on_commit_callbacks
):
    with time_machine.travel(datetime.datetime(2024, 1, 10, 12, tzinfo=datetime.UTC)):
        sleeper = UserFactory(email="sleeper@example.com", first_name="Sol")
        card = make_card(sleeper)
        services.record_purchase(card, "40.00", reference="R-9", staff=staff)
        active = UserFactory(email="active@example.com")
        make_card(active)
    with time_machine.travel(datetime.datetime(2025, 12, 20, 12, tzinfo=datetime.UTC)):
        active.last_login = timezone.now()
        active.save(update_fields=["last_login"])

    # 2025-12-12: within 30 days of two years without activity — warned, once.
    with time_machine.travel(datetime.datetime(2025, 12, 12, 6, tzinfo=datetime.UTC)):
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            assert privacy.warn_inactive_members(datetime.date(2025, 12, 12)) == 1
            assert privacy.warn_inactive_members(datetime.date(2025, 12, 13)) == 0
        (warning,) = mail.outbox
        assert warning.to == ["sleeper@example.com"]
        assert "erased on" in warning.subject
        assert privacy.erase_inactive_members(datetime.date(2025, 12, 12)) == 0

    # Past two years and past the warning days: erased.
    with time_machine.travel(datetime.datetime(2026, 1, 12, 6, tzinfo=datetime.UTC)):
        assert privacy.erase_inactive_members(datetime.date(2026, 1, 12)) == 1
    sleeper.refresh_from_db()
    assert sleeper.erased_at is not None
    assert Card.objects.get(pk=card.pk).status == CardStatus.CLOSED
    assert User.objects.get(pk=active.pk).erased_at is None
    sources = set(PrivacyRecord.objects.values_list("action", "source"))
    assert sources == {("retention_warning", "retention"), ("erasure", "retention")}


def test_a_member_seen_after_the_warning_is_kept_and_warned_afresh_later(retention, tiers):
    with time_machine.travel(datetime.datetime(2024, 1, 10, 12, tzinfo=datetime.UTC)):
        sleeper = UserFactory(email="sleeper@example.com")
        make_card(sleeper)
    with time_machine.travel(datetime.datetime(2025, 12, 12, 6, tzinfo=datetime.UTC)):
        assert privacy.warn_inactive_members(datetime.date(2025, 12, 12)) == 1
    with time_machine.travel(datetime.datetime(2025, 12, 20, 6, tzinfo=datetime.UTC)):
        sleeper.last_login = timezone.now()
        sleeper.save(update_fields=["last_login"])
    with time_machine.travel(datetime.datetime(2026, 1, 12, 6, tzinfo=datetime.UTC)):
        assert privacy.erase_inactive_members(datetime.date(2026, 1, 12)) == 0
    assert User.objects.get(pk=sleeper.pk).erased_at is None
    with time_machine.travel(datetime.datetime(2027, 12, 1, 6, tzinfo=datetime.UTC)):
        assert privacy.warn_inactive_members(datetime.date(2027, 12, 1)) == 1


def test_no_retention_limit_keeps_everyone(program, tiers):
    with time_machine.travel(datetime.datetime(2010, 1, 1, tzinfo=datetime.UTC)):
        make_card(UserFactory())
    assert privacy.warn_inactive_members(datetime.date(2026, 12, 1)) == 0
    assert privacy.erase_inactive_members(datetime.date(2026, 12, 1)) == 0


def test_staff_are_never_erased_for_inactivity(retention):
    with time_machine.travel(datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)):
        owner = UserFactory(is_staff=True)
        owner.groups.add(Group.objects.get(name=OWNER))
    assert privacy.warn_inactive_members(datetime.date(2026, 12, 1)) == 0
