"""Referrals: a member's invitation link, friends who join through it, and the bonus both earn
at the friend's first purchase, with the rules that keep it from being gamed."""

import datetime
import re
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts.models import User
from loyalty import services
from loyalty.models import Kind, PointTransaction, Referral, ReferralStatus
from loyalty.signals import REFERRAL_SESSION_KEY

NOON = datetime.datetime(2026, 11, 24, 12, tzinfo=datetime.UTC)
FRIEND_PASSWORD = "a-long-unusual-passphrase"


def sign_up(email, *, code=None, first_name="Fiona", ip="203.0.113.7"):
    """A visitor in a browser of their own: opens the invitation link (if any), then signs up."""
    browser = Client(REMOTE_ADDR=ip)
    if code is not None:
        browser.get(reverse("join", args=[code]))
    response = browser.post(
        reverse("account_signup"),
        {
            "first_name": first_name,
            "last_name": "Friend",
            "email": email,
            "password1": FRIEND_PASSWORD,
            "password2": FRIEND_PASSWORD,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    return User.objects.get(email=email)


def first_purchase(friend, staff, reference="F-1"):
    return services.record_purchase(
        friend.cards.get(), Decimal("10.00"), reference=reference, staff=staff
    )


def referral_lines(*users):
    return list(
        PointTransaction.objects.filter(card__user__in=users, kind=Kind.REFERRAL_BONUS)
        .order_by("card__user__email")
        .values_list("card__user__email", "points")
    )


@pytest.fixture
def code(member, card):
    return services.referral_code_for(member).code


def test_invite_page_shows_the_members_link_and_code(member_client, code):
    page = member_client.get(reverse("invite")).content.decode()
    assert f'value="http://testserver/join/{code}/"' in page
    assert f"<strong>{code}</strong>" in page
    assert "No friends have joined through your link yet." in page


def test_the_code_is_made_once_per_member(member, card):
    assert services.referral_code_for(member) == services.referral_code_for(member)
    assert len(services.referral_code_for(member).code) == 8


def test_opening_the_link_counts_it_and_remembers_the_code(client, member, code):
    response = client.get(reverse("join", args=[code.lower()]))

    assert response.status_code == 302
    assert response.url == reverse("account_signup")
    assert client.session[REFERRAL_SESSION_KEY] == code
    page = client.get(response.url).content.decode()
    assert "Maria invited you. You both get 100 points after your first purchase." in page

    member.referral_code.refresh_from_db()
    assert member.referral_code.opened == 1


def test_invite_page_says_how_often_the_link_was_opened(member_client, client, code):
    Client().get(reverse("join", args=[code]))
    Client().get(reverse("join", args=[code]))
    page = member_client.get(reverse("invite")).content.decode()
    assert "Your link was opened 2 times." in page


def invitation_field(page) -> str:
    return re.search(r'<input[^>]*name="invitation_code"[^>]*>', page).group(0)


def test_the_invitation_link_fills_in_the_code_at_sign_up(client, code):
    page = client.get(reverse("join", args=[code.lower()]), follow=True).content.decode()

    assert f'value="{code}"' in invitation_field(page)


def test_sign_up_without_a_link_leaves_the_invitation_code_empty(client, db):
    page = client.get(reverse("account_signup")).content.decode()

    assert "value=" not in invitation_field(page)


def test_friend_who_signs_up_through_the_link_is_recorded_as_joined(member_client, member, code):
    friend = sign_up("fiona@example.com", code=code)

    referral = Referral.objects.get(referred=friend)
    assert referral.referrer == member
    assert referral.status == ReferralStatus.JOINED
    assert friend.cards.get().balance == 50  # the friend has a card like any new member
    page = member_client.get(reverse("invite")).content.decode()
    assert "Fiona" in page
    assert "Joined, no purchase yet" in page


def test_friends_first_purchase_gives_both_the_bonus_once_and_emails_both(
    member_client, member, card, code, staff, program, django_capture_on_commit_callbacks
):
    friend = sign_up("fiona@example.com", code=code)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        first_purchase(friend, staff)
    assert referral_lines(member, friend) == [
        ("fiona@example.com", program.referral_bonus),
        ("member@example.com", program.referral_bonus),
    ]
    card.refresh_from_db()
    assert card.balance == 50 + program.referral_bonus
    referral = Referral.objects.get(referred=friend)
    assert referral.status == ReferralStatus.REWARDED
    assert referral.rewarded_at is not None
    bonus_mails = [message for message in mail.outbox if "referral points" in message.subject]
    assert sorted(message.to[0] for message in bonus_mails) == [
        "fiona@example.com",
        "member@example.com",
    ]
    to_member = next(message for message in bonus_mails if message.to == [member.email])
    assert "Thanks to you and Fiona, 100 referral points are on your card." in to_member.body

    # A second purchase is an ordinary purchase.
    with django_capture_on_commit_callbacks(execute=True):
        first_purchase(friend, staff, reference="F-2")
    assert len(referral_lines(member, friend)) == 2
    assert len([message for message in mail.outbox if "referral points" in message.subject]) == 2

    page = member_client.get(reverse("invite")).content.decode()
    assert "First purchase made, bonus earned" in page


def test_unknown_code_still_lets_the_visitor_join_without_a_referral(client, member, code):
    response = client.get(reverse("join", args=["NOSUCH99"]), follow=True)

    assert "This invitation link is not valid, but you can still join." in response.content.decode()
    assert REFERRAL_SESSION_KEY not in client.session
    response = client.post(
        reverse("account_signup"),
        {
            "first_name": "Nina",
            "last_name": "Nobody",
            "email": "nina@example.com",
            "password1": FRIEND_PASSWORD,
            "password2": FRIEND_PASSWORD,
        },
    )
    assert response.status_code == 302
    nina = User.objects.get(email="nina@example.com")
    assert nina.cards.get().balance == 50
    assert not Referral.objects.exists()


def test_an_email_already_known_at_the_counter_earns_no_bonus(member, code, staff, program):
    services.issue_card(holder_email="Walter@Example.com", staff=staff, physical=True)

    walter = sign_up("walter@example.com", code=code, first_name="Walter")
    referral = Referral.objects.get(referred=walter)
    assert referral.status == ReferralStatus.NOT_REWARDED
    assert referral.note == "E-mail already known before the invitation"

    first_purchase(walter, staff)
    assert referral_lines(member, walter) == []
    assert Referral.objects.get(referred=walter).status == ReferralStatus.NOT_REWARDED


def test_referrals_beyond_the_monthly_limit_join_without_a_bonus(member, code, staff, program):
    program.referral_limit_per_month = 2
    program.save()
    with time_machine.travel(NOON, tick=False) as clock:
        friends = [
            sign_up(f"friend{number}@example.com", code=code, ip=f"203.0.113.{number}")
            for number in range(3)
        ]
        for number, friend in enumerate(friends):
            first_purchase(friend, staff, reference=f"F-{number}")

        statuses = [Referral.objects.get(referred=friend).status for friend in friends]
        assert statuses == [
            ReferralStatus.REWARDED,
            ReferralStatus.REWARDED,
            ReferralStatus.NOT_REWARDED,
        ]
        assert Referral.objects.get(referred=friends[2]).note == "Monthly referral limit reached"
        assert referral_lines(friends[2]) == []
        assert (
            PointTransaction.objects.filter(card__user=member, kind=Kind.REFERRAL_BONUS).count()
            == 2
        )

        # A new month, a new allowance.
        clock.move_to(datetime.datetime(2026, 12, 2, 12, tzinfo=datetime.UTC))
        december = sign_up("december@example.com", code=code, ip="203.0.113.99")
        first_purchase(december, staff, reference="F-D")
    assert Referral.objects.get(referred=december).status == ReferralStatus.REWARDED
    assert PointTransaction.objects.filter(card__user=member, kind=Kind.REFERRAL_BONUS).count() == 3


def test_more_than_three_signups_through_one_link_from_one_address_in_a_day_earn_nothing(
    member, code, staff
):
    with time_machine.travel(NOON, tick=False) as clock:
        same_address = [sign_up(f"sock{number}@example.com", code=code) for number in range(4)]
        elsewhere = sign_up("real@example.com", code=code, ip="198.51.100.20")

        statuses = [Referral.objects.get(referred=friend).status for friend in same_address]
        assert statuses == [ReferralStatus.JOINED] * 3 + [ReferralStatus.NOT_REWARDED]
        assert (
            Referral.objects.get(referred=same_address[3]).note
            == "Too many sign-ups through this link"
        )
        assert Referral.objects.get(referred=elsewhere).status == ReferralStatus.JOINED
        first_purchase(same_address[3], staff)
        assert referral_lines(same_address[3]) == []

        # The limit is per day.
        clock.move_to(NOON + datetime.timedelta(days=1, minutes=1))
        next_day = sign_up("tomorrow@example.com", code=code)
    assert Referral.objects.get(referred=next_day).status == ReferralStatus.JOINED


def test_a_member_cannot_refer_themselves(member, code, outsider):
    assert services.record_referral(member, code) is None
    assert services.record_referral(member, code.lower()) is None
    assert services.record_referral(outsider, "NOSUCH99") is None
    assert not Referral.objects.exists()


def test_invite_page_lists_each_friend_with_their_state(member_client, member, code, staff):
    joined = sign_up("jo@example.com", code=code, first_name="Jo")
    rewarded = sign_up("ray@example.com", code=code, first_name="Ray", ip="198.51.100.1")
    first_purchase(rewarded, staff)
    assert joined.cards.get().balance == 50

    page = member_client.get(reverse("invite")).content.decode()
    assert "Jo" in page
    assert "Ray" in page
    assert page.count("Joined, no purchase yet") == 1
    assert page.count("First purchase made, bonus earned") == 1


def test_outsider_sees_only_their_own_link_and_friends(client, outsider, member, code, tiers):
    sign_up("fiona@example.com", code=code)
    client.force_login(outsider)

    page = client.get(reverse("invite")).content.decode()
    assert code not in page
    assert "Fiona" not in page
    assert "No friends have joined through your link yet." in page


def test_invite_page_needs_a_login(client, db):
    response = client.get(reverse("invite"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


# Session, user, the code, the program, the referrals with their friends.
INVITE_QUERIES = 5


@pytest.mark.parametrize("friends", [1, 8])
def test_invite_page_queries_do_not_grow_with_friends(
    member_client, code, friends, django_assert_max_num_queries
):
    for number in range(friends):
        sign_up(f"friend{number}@example.com", code=code, ip=f"198.51.100.{number}")
    with django_assert_max_num_queries(INVITE_QUERIES):
        page = member_client.get(reverse("invite")).content.decode()
    assert page.count("Joined, no purchase yet") == friends
