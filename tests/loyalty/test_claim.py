import pytest
from django.urls import reverse

from accounts.models import User
from loyalty import services
from loyalty.exceptions import AlreadyClaimed, ClaimFailed, ClaimLocked, LoyaltyError
from loyalty.models import Card, CardStatus, Kind, PointTransaction
from tests.factories import make_card


@pytest.fixture
def printed(staff, tiers):
    """A card handed to a walk-in customer at the counter, with its claim PIN."""
    return make_card(holder_name="Walk-in", physical=True, staff=staff)


def wrong_pin(card):
    return "000000" if card.claim_pin != "000000" else "111111"


def test_right_number_and_pin_attach_the_card_to_the_member(outsider, printed):
    claimed = services.claim_card(outsider, printed.formatted_number, printed.claim_pin)

    printed.refresh_from_db()
    assert claimed.pk == printed.pk
    assert printed.user == outsider
    assert printed.claim_pin == ""
    assert printed.claimed_at is not None
    assert printed.balance == 50


def test_wrong_pin_is_refused_and_counted_on_the_card(outsider, printed):
    with pytest.raises(ClaimFailed):
        services.claim_card(outsider, printed.number, wrong_pin(printed))

    printed.refresh_from_db()
    assert printed.failed_claims == 1
    assert printed.user is None


def test_unknown_or_mistyped_number_is_refused(outsider, printed):
    mistyped = printed.number[:-1] + str((int(printed.number[-1]) + 1) % 10)

    with pytest.raises(ClaimFailed):
        services.claim_card(outsider, mistyped, printed.claim_pin)

    printed.refresh_from_db()
    assert printed.user is None


def test_after_five_wrong_pins_even_the_right_pin_is_locked_out(outsider, printed):
    pin = printed.claim_pin
    for _attempt in range(4):
        with pytest.raises(ClaimFailed):
            services.claim_card(outsider, printed.number, wrong_pin(printed))
    with pytest.raises(ClaimLocked):
        services.claim_card(outsider, printed.number, wrong_pin(printed))

    with pytest.raises(ClaimLocked, match="ask at the counter"):
        services.claim_card(outsider, printed.number, pin)

    printed.refresh_from_db()
    assert printed.failed_claims == 5
    assert printed.user is None


def test_a_claimed_card_cannot_be_claimed_again(member, outsider, printed):
    pin = printed.claim_pin
    services.claim_card(outsider, printed.number, pin)

    with pytest.raises(AlreadyClaimed):
        services.claim_card(member, printed.number, pin)

    printed.refresh_from_db()
    assert printed.user == outsider


def test_digital_card_points_move_to_the_claimed_card(member, card, printed, staff):
    services.record_purchase(card, "40.00", reference="R-1", staff=staff)  # 50 + 40 + 25

    claimed = services.claim_card(member, printed.number, printed.claim_pin)

    card.refresh_from_db()
    claimed.refresh_from_db()
    assert (card.status, card.balance, card.replaced_by) == (CardStatus.REPLACED, 0, claimed)
    assert (claimed.status, claimed.balance, claimed.user) == (CardStatus.ACTIVE, 165, member)
    transfers = PointTransaction.objects.filter(kind=Kind.TRANSFER).order_by("id")
    assert [(line.card, line.points) for line in transfers] == [(card, -115), (claimed, 115)]
    assert Card.objects.get(user=member, status=CardStatus.ACTIVE) == claimed


def test_member_keeps_the_tier_earned_on_the_digital_card(member, card, printed, tiers):
    services.award_bonus(card, Kind.GOODWILL, 450)  # 500 earned: Silver

    claimed = services.claim_card(member, printed.number, printed.claim_pin)

    claimed.refresh_from_db()
    assert claimed.tier == tiers[1]


def test_sign_up_gives_a_digital_card_with_the_sign_up_bonus_at_once(client, program, tiers):
    program.signup_bonus = 75
    program.save()

    response = client.post(
        reverse("account_signup"),
        {
            "first_name": "Ana",
            "last_name": "Cruz",
            "email": "ana@example.com",
            "password1": "a-long-unusual-passphrase",
            "password2": "a-long-unusual-passphrase",
        },
    )

    assert response.status_code == 302
    card = Card.objects.get(user=User.objects.get(email="ana@example.com"))
    assert (card.status, card.is_physical, card.balance) == (CardStatus.ACTIVE, False, 75)
    line = PointTransaction.objects.get(card=card)
    assert (line.kind, line.points) == (Kind.SIGNUP_BONUS, 75)


def test_staff_unlock_a_locked_claim_at_the_counter(staff_client, outsider, staff, tiers):
    from django.urls import reverse

    from tests.factories import make_card

    walk_in = make_card(holder_name="Walk In", staff=staff, physical=True)
    for _ in range(5):
        with pytest.raises(LoyaltyError):
            services.claim_card(
                outsider, walk_in.number, "000000" if walk_in.claim_pin != "000000" else "111111"
            )
    page = staff_client.get(reverse("admin:counter_card", args=[walk_in.pk])).content.decode()
    assert "online claim locked after wrong PINs" in page
    staff_client.post(reverse("admin:counter_unlock_claim", args=[walk_in.pk]))
    walk_in.refresh_from_db()
    assert walk_in.failed_claims == 0
    assert services.claim_card(outsider, walk_in.number, walk_in.claim_pin).user == outsider
