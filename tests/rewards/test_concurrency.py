"""Reward rules that must hold when many members, tabs and tills act at the same moment."""

from django.contrib.auth.models import Group

from accounts.roles import STAFF
from loyalty.exceptions import InsufficientPoints
from loyalty.models import Kind, PointTransaction
from rewards import services
from rewards.exceptions import SoldOut, VoucherAlreadyUsed
from rewards.models import Redemption, RedemptionStatus, Reward
from tests.concurrency import all_at_once, of_type, postgresql_only
from tests.factories import UserFactory, make_card
from tests.rewards.factories import RewardFactory, top_up

pytestmark = postgresql_only


def test_twenty_members_racing_for_the_last_five_units_get_exactly_five(tiers, program):
    cards = [top_up(make_card(UserFactory()), 450) for _ in range(20)]
    reward = RewardFactory(points_cost=100, stock=5, per_member_limit=1)

    results = all_at_once(20, lambda index: services.redeem(cards[index], reward))

    won = of_type(results, Redemption)
    lost = of_type(results, SoldOut)
    assert (len(won), len(lost)) == (5, 15), results
    reward.refresh_from_db()
    assert reward.stock == 0
    assert Redemption.objects.filter(reward=reward).count() == 5
    assert len({redemption.code for redemption in won}) == 5
    assert PointTransaction.objects.filter(kind=Kind.REDEMPTION).count() == 5


def test_owner_adding_stock_while_members_redeem_loses_no_unit(tiers, program, owner):
    cards = [top_up(make_card(UserFactory()), 450) for _ in range(20)]
    reward = RewardFactory(points_cost=100, stock=3, per_member_limit=1)
    deliveries = 4  # of 3 units each: 15 units at most for 20 members

    def act(index):
        if index < deliveries:
            return services.restock(reward, add=3, staff=owner)
        return services.redeem(cards[index - deliveries], reward)

    results = all_at_once(20 + deliveries, act)

    won = of_type(results, Redemption)
    lost = of_type(results, SoldOut)
    assert len(of_type(results, Reward)) == deliveries, results
    assert len(won) + len(lost) == 20, results
    assert 3 <= len(won) <= 15
    reward.refresh_from_db()
    assert reward.stock == 3 + 3 * deliveries - len(won)
    assert Redemption.objects.filter(reward=reward).count() == len(won)
    assert PointTransaction.objects.filter(kind=Kind.REDEMPTION).count() == len(won)


def test_twenty_tabs_spending_one_balance_never_take_it_below_zero(card, program):
    card = top_up(card, 950)  # 1000 points: ten rewards' worth
    reward = RewardFactory(points_cost=100, stock=None, per_member_limit=None)

    results = all_at_once(20, lambda _index: services.redeem(card, reward))

    won = of_type(results, Redemption)
    refused = of_type(results, InsufficientPoints)
    assert (len(won), len(refused)) == (10, 10), results
    card.refresh_from_db()
    assert card.balance == 0
    spent = PointTransaction.objects.filter(card=card, kind=Kind.REDEMPTION)
    assert sorted(spent.values_list("balance_after", flat=True)) == list(range(0, 1000, 100))


def test_two_staff_fulfilling_one_voucher_at_once_fulfil_it_once(card, staff, program):
    other_staff = UserFactory(first_name="Tove", is_staff=True)
    other_staff.groups.add(Group.objects.get(name=STAFF))
    redemption = services.redeem(top_up(card, 450), RewardFactory())
    tills = [staff, other_staff]

    results = all_at_once(
        2, lambda index: services.fulfil_redemption(redemption, staff=tills[index])
    )

    (used,) = of_type(results, Redemption)
    (refused,) = of_type(results, VoucherAlreadyUsed)
    assert f"(by {used.fulfilled_by.get_full_name()})" in str(refused)
    redemption.refresh_from_db()
    assert redemption.status == RedemptionStatus.FULFILLED
    assert redemption.fulfilled_by == used.fulfilled_by
