import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from loyalty.models import Kind, PointTransaction
from rewards import services
from rewards.models import Redemption, RedemptionStatus, Reward, RewardKind
from tests.rewards.factories import RewardFactory, top_up

# Session, user, the page's state (core.pagecache), the member's card, the rewards with their
# tiers, the member's held vouchers; the kept copy then answers with the first three alone.
CATALOG_QUERIES = 6
KEPT_CATALOG_QUERIES = 3
# Session, user, the vouchers with their rewards.
VOUCHER_LIST_QUERIES = 3


def article(page, name):
    """The catalog card of one reward, so a badge is checked against the right reward."""
    for chunk in page.split("<article")[1:]:
        if f">{name}</h2>" in chunk:
            return chunk.split("</article>")[0]
    raise AssertionError(f"{name} is not in the catalog")


def names_in(page):
    return re.findall(r'<h2 class="h5 card-title">([^<]+)</h2>', page)


@pytest.fixture
def funded_card(card):
    return top_up(card, 250)  # 300 points, Bronze


def test_catalog_shows_image_cost_stock_tier_and_points_needed(member_client, funded_card, tiers):
    RewardFactory(name="Cake", points_cost=250, image="rewards/cake.webp")
    RewardFactory(name="Latte", points_cost=150, stock=3)
    RewardFactory(name="Scarf", points_cost=100, stock=0)
    RewardFactory(name="Tasting", points_cost=100, minimum_tier=tiers[2])
    RewardFactory(name="Hamper", points_cost=420)

    page = member_client.get(reverse("rewards")).content.decode()

    cake = article(page, "Cake")
    assert 'src="/media/rewards/cake.webp"' in cake
    assert "250 points" in cake
    assert reverse("redeem", args=[Reward.objects.get(name="Cake").pk]) in cake
    assert "3 left" in article(page, "Latte")
    assert "Sold out" in article(page, "Scarf")
    assert "Redeem" not in article(page, "Scarf")
    assert "For Gold members" in article(page, "Tasting")
    assert "Redeem" not in article(page, "Tasting")
    hamper = article(page, "Hamper")
    assert "120 more points needed" in hamper
    assert "Redeem" not in hamper
    assert "You have <strong>300</strong> points." in page


def test_rewards_without_a_picture_get_a_compact_card_with_no_empty_picture_box(
    member_client, funded_card
):
    RewardFactory(name="Cake", image="rewards/cake.webp")
    RewardFactory(name="Latte")

    page = member_client.get(reverse("rewards")).content.decode()

    with_picture, without = article(page, "Cake"), article(page, "Latte")
    assert "<img" in with_picture
    assert 'class="card reward-card h-100"' in with_picture
    assert "<img" not in without
    assert "reward-image" not in without
    # Not stretched to the height of a neighbour's picture either.
    assert 'class="card reward-card reward-card-compact"' in without


def test_catalog_hides_inactive_and_out_of_window_rewards(member_client, funded_card):
    now = timezone.now()
    RewardFactory(name="On offer")
    RewardFactory(name="Withdrawn", is_active=False)
    RewardFactory(name="Next month", available_from=now + datetime.timedelta(days=30))
    RewardFactory(name="Last month", available_until=now - datetime.timedelta(days=1))

    page = member_client.get(reverse("rewards")).content.decode()

    assert names_in(page) == ["On offer"]


def test_can_redeem_filter_shows_only_what_the_member_can_redeem_now(
    member_client, funded_card, tiers
):
    RewardFactory(name="Affordable", points_cost=300)
    RewardFactory(name="Too dear", points_cost=301)
    RewardFactory(name="Gone", points_cost=10, stock=0)
    RewardFactory(name="Gold only", points_cost=10, minimum_tier=tiers[2])

    page = member_client.get(reverse("rewards"), {"can_redeem": "on"}).content.decode()

    assert names_in(page) == ["Affordable"]
    assert 'id="id_can_redeem" value="on" checked' in page


def test_kind_filter_shows_only_that_kind(member_client, funded_card):
    RewardFactory(name="Coffee", kind=RewardKind.FREE_ITEM)
    RewardFactory(name="Food bank", kind=RewardKind.DONATION)
    RewardFactory(name="Animal shelter", kind=RewardKind.DONATION)

    page = member_client.get(reverse("rewards"), {"kind": "donation"}).content.decode()

    assert sorted(names_in(page)) == ["Animal shelter", "Food bank"]
    assert '<option value="donation" selected>' in page


def test_confirm_page_shows_cost_and_balance_after(member_client, funded_card):
    reward = RewardFactory(name="Cake", points_cost=120, valid_days=14)

    page = member_client.get(reverse("redeem", args=[reward.pk])).content.decode()

    assert "120 points" in page
    assert 'data-testid="balance-after">180<' in page
    assert "14 days" in page
    assert "Confirm and get voucher" in page
    assert not Redemption.objects.exists()


def test_redeeming_leads_to_the_voucher_with_its_code_and_qr(member_client, funded_card):
    reward = RewardFactory(name="Cake", points_cost=120)

    response = member_client.post(reverse("redeem", args=[reward.pk]), {"quantity": "2"})

    redemption = Redemption.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("voucher", args=[redemption.code])
    page = member_client.get(response.url).content.decode()
    assert "Here is your voucher. Show it at the counter." in page
    assert f'data-testid="voucher-code">{redemption.formatted_code}<' in page
    assert '<svg role="img"' in page
    assert f"QR code of voucher {redemption.formatted_code}" in page
    assert "Cake × 2" in page
    funded_card.refresh_from_db()
    assert funded_card.balance == 300 - 240


def test_donating_thanks_the_member_and_shows_no_code(member_client, funded_card):
    reward = RewardFactory(name="Food bank", kind=RewardKind.DONATION, points_cost=100)

    response = member_client.post(
        reverse("redeem", args=[reward.pk]), {"quantity": "1"}, follow=True
    )

    page = response.content.decode()
    assert "Thank you! You gave 100 points." in page
    assert "<svg" not in page
    assert services.donated_points() == 100


@pytest.mark.parametrize(
    "fields",
    [
        {"is_active": False},
        {"available_from": timezone.now() + datetime.timedelta(days=3)},
        {"available_until": timezone.now() - datetime.timedelta(days=3)},
    ],
    ids=["inactive", "not-yet-open", "closed"],
)
def test_reward_not_on_offer_is_404_and_cannot_be_redeemed(member_client, funded_card, fields):
    reward = RewardFactory(**fields)
    url = reverse("redeem", args=[reward.pk])

    assert member_client.get(url).status_code == 404
    assert member_client.post(url, {"quantity": "1"}).status_code == 404
    assert not Redemption.objects.exists()


def test_unknown_reward_id_is_404(member_client, funded_card):
    RewardFactory()
    url = reverse("redeem", args=[999_999])
    assert member_client.get(url).status_code == 404
    assert member_client.post(url, {"quantity": "1"}).status_code == 404


@pytest.mark.parametrize(
    ("quantity", "message"),
    [
        ("0", "Ensure this value is greater than or equal to 1."),
        ("11", "Ensure this value is less than or equal to 10."),
        ("two", "Enter a whole number."),
    ],
)
def test_bad_quantity_shows_the_form_error_and_changes_nothing(
    member_client, funded_card, quantity, message
):
    reward = RewardFactory(points_cost=100, stock=5)

    response = member_client.post(reverse("redeem", args=[reward.pk]), {"quantity": quantity})

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Redemption.objects.exists()
    funded_card.refresh_from_db()
    reward.refresh_from_db()
    assert (funded_card.balance, reward.stock) == (300, 5)


def test_refusal_from_the_service_is_shown_on_the_form(member_client, funded_card):
    reward = RewardFactory(points_cost=100, stock=5)

    response = member_client.post(reverse("redeem", args=[reward.pk]), {"quantity": "4"})

    assert "This needs 400 points; the card has 300." in response.content.decode()
    assert not Redemption.objects.exists()


def test_member_sees_own_vouchers_and_the_outsider_sees_none_of_them(
    client, member, outsider, funded_card, outsider_card
):
    mine = services.redeem(funded_card, RewardFactory(name="Cake"))
    theirs = services.redeem(top_up(outsider_card, 100), RewardFactory(name="Pretzel"))

    client.force_login(member)
    page = client.get(reverse("vouchers")).content.decode()
    assert reverse("voucher", args=[mine.code]) in page
    assert "Pretzel" not in page
    assert client.get(reverse("voucher", args=[mine.code])).status_code == 200

    client.force_login(outsider)
    page = client.get(reverse("vouchers")).content.decode()
    assert reverse("voucher", args=[theirs.code]) in page
    assert "Cake" not in page
    assert mine.code not in page
    assert client.get(reverse("voucher", args=[mine.code])).status_code == 404
    assert client.post(reverse("cancel_voucher", args=[mine.code])).status_code == 404
    mine.refresh_from_db()
    assert mine.status == RedemptionStatus.ISSUED


def test_cancelling_from_the_voucher_page_returns_the_points(member_client, funded_card):
    redemption = services.redeem(funded_card, RewardFactory(points_cost=120, stock=2))

    response = member_client.post(reverse("cancel_voucher", args=[redemption.code]), follow=True)

    page = response.content.decode()
    assert "Voucher cancelled. 120 points are back on your card." in page
    assert 'data-testid="voucher-status">Cancelled<' in page
    assert "<svg" not in page
    funded_card.refresh_from_db()
    assert funded_card.balance == 300
    assert PointTransaction.objects.filter(kind=Kind.REDEMPTION_REFUND).count() == 1


def test_cancelling_asks_for_confirmation_away_from_the_qr_code(member_client, funded_card):
    redemption = services.redeem(funded_card, RewardFactory(points_cost=120))
    cancel = f'action="{reverse("cancel_voucher", args=[redemption.code])}"'

    page = member_client.get(reverse("voucher", args=[redemption.code])).content.decode()

    confirmation = re.search(r"<details.*?</details>", page, re.S).group(0)
    assert "<summary>Cancel this voucher</summary>" in confirmation
    assert "its 120 points go back to your card" in confirmation
    assert cancel in confirmation
    assert "Yes, cancel and get 120 points back" in confirmation
    assert page.count(cancel) == 1  # no cancel button outside the confirmation
    # Below the code and the link to all vouchers, not right under the QR code.
    assert page.index('data-testid="voucher-code"') < page.index("All my vouchers")
    assert page.index("All my vouchers") < page.index("<details")
    assert "<script>" not in page


def test_cancelling_twice_says_it_cannot_and_refunds_once(member_client, funded_card):
    redemption = services.redeem(funded_card, RewardFactory(points_cost=120))
    url = reverse("cancel_voucher", args=[redemption.code])
    member_client.post(url)

    response = member_client.post(url, follow=True)

    assert "Only a voucher that has not been used can be cancelled." in response.content.decode()
    assert PointTransaction.objects.filter(kind=Kind.REDEMPTION_REFUND).count() == 1


def test_expired_voucher_expires_on_first_look_and_returns_the_points(
    member_client, funded_card, time_machine
):
    redemption = services.redeem(funded_card, RewardFactory(points_cost=120, valid_days=7))
    time_machine.move_to(timezone.now() + datetime.timedelta(days=8), tick=False)

    page = member_client.get(reverse("vouchers")).content.decode()

    assert ">Expired<" in page
    redemption.refresh_from_db()
    assert redemption.status == RedemptionStatus.EXPIRED
    funded_card.refresh_from_db()
    assert funded_card.balance == 300
    page = member_client.get(reverse("voucher", args=[redemption.code])).content.decode()
    assert "Expired. The 120 points went back to your card." in page
    assert PointTransaction.objects.filter(kind=Kind.REDEMPTION_REFUND).count() == 1


def make_rewards(count, tier):
    Reward.objects.bulk_create(
        Reward(
            name=f"Reward {number}",
            kind=RewardKind.FREE_ITEM,
            points_cost=50 + number,
            stock=number % 4 or None,
            minimum_tier=tier if number % 3 == 0 else None,
            per_member_limit=2 if number % 5 == 0 else None,
        )
        for number in range(count)
    )


@pytest.mark.parametrize("rewards", [10, 200])
def test_catalog_queries_do_not_grow_with_the_number_of_rewards(
    member_client, funded_card, tiers, rewards, django_assert_num_queries
):
    make_rewards(rewards, tiers[1])
    services.redeem(funded_card, Reward.objects.filter(minimum_tier=None).first())

    with django_assert_num_queries(CATALOG_QUERIES):
        response = member_client.get(reverse("rewards"))
    with django_assert_num_queries(KEPT_CATALOG_QUERIES):
        kept = member_client.get(reverse("rewards"))

    assert len(names_in(response.content.decode())) == rewards
    assert len(names_in(kept.content.decode())) == rewards


@pytest.mark.parametrize("vouchers", [5, 50])
def test_voucher_list_queries_do_not_grow_with_the_number_of_vouchers(
    member_client, funded_card, vouchers, django_assert_max_num_queries
):
    card = top_up(funded_card, 100 * vouchers)
    rewards = [RewardFactory(points_cost=10) for _ in range(5)]
    for number in range(vouchers):
        services.redeem(card, rewards[number % 5])

    with django_assert_max_num_queries(VOUCHER_LIST_QUERIES):
        response = member_client.get(reverse("vouchers"))

    assert response.content.decode().count('<li class="list-group-item') == vouchers
