import pytest
from django.urls import reverse

from loyalty.exceptions import NotAllowed
from rewards import services
from rewards.exceptions import InvalidStock
from rewards.models import Reward
from tests.rewards.factories import RewardFactory, top_up


def stock_of(reward):
    reward.refresh_from_db()
    return reward.stock


# The services ---------------------------------------------------------------------------------


def test_restocking_adds_to_what_is_left_after_redemptions(card, owner):
    reward = RewardFactory(points_cost=100, stock=5)
    stale = Reward.objects.get(pk=reward.pk)  # read before the redemption
    services.redeem(top_up(card, 450), reward, quantity=2)

    restocked = services.restock(stale, add=10, staff=owner)

    assert restocked.stock == 13
    assert stock_of(reward) == 13


def test_a_negative_restock_takes_units_off_but_never_below_zero(owner):
    reward = RewardFactory(stock=4)

    services.restock(reward, add=-3, staff=owner)
    with pytest.raises(InvalidStock, match="Only 1 units are in stock; 2 cannot be taken off."):
        services.restock(reward, add=-2, staff=owner)

    assert stock_of(reward) == 1


@pytest.mark.parametrize("add", [0, True, 1.0, "3"])
def test_restock_needs_a_whole_number_of_units(owner, add):
    reward = RewardFactory(stock=4)

    with pytest.raises(InvalidStock, match="whole number of units other than zero"):
        services.restock(reward, add=add, staff=owner)

    assert stock_of(reward) == 4


def test_an_unlimited_reward_has_no_count_to_add_to(owner):
    reward = RewardFactory(stock=None)

    with pytest.raises(InvalidStock, match="unlimited stock; set a number first"):
        services.restock(reward, add=5, staff=owner)

    assert stock_of(reward) is None


def test_setting_the_stock_counts_or_makes_it_unlimited(owner):
    reward = RewardFactory(stock=None)

    assert services.set_stock(reward, stock=7, staff=owner).stock == 7
    assert stock_of(reward) == 7
    assert services.set_stock(reward, stock=None, staff=owner).stock is None
    assert stock_of(reward) is None
    with pytest.raises(InvalidStock, match="cannot go below zero"):
        services.set_stock(reward, stock=-1, staff=owner)


def test_staff_cannot_restock_or_set_the_stock(staff):
    reward = RewardFactory(stock=4)

    with pytest.raises(NotAllowed):
        services.restock(reward, add=5, staff=staff)
    with pytest.raises(NotAllowed):
        services.set_stock(reward, stock=50, staff=staff)

    assert stock_of(reward) == 4


# The owner's page -----------------------------------------------------------------------------


def stock_url(reward):
    return reverse("admin:rewards_reward_stock", args=[reward.pk])


def test_owner_adds_a_delivery_on_the_stock_page(owner_client):
    reward = RewardFactory(name="Cake", stock=3)

    page = owner_client.get(stock_url(reward)).content.decode()
    response = owner_client.post(stock_url(reward), {"change": "add", "units": "12"}, follow=True)

    assert "Stock left now: 3." in page
    assert "Stock of Cake is now 15." in response.content.decode()
    assert response.redirect_chain[-1][0] == reverse(
        "admin:rewards_reward_change", args=[reward.pk]
    )
    assert stock_of(reward) == 15


@pytest.mark.parametrize(
    ("data", "stock", "said"),
    [
        ({"change": "set", "units": "40"}, 40, "Stock of Cake is now 40."),
        ({"change": "unlimited", "units": ""}, None, "Stock of Cake is now unlimited."),
    ],
    ids=["counted", "unlimited"],
)
def test_owner_sets_the_stock_on_the_stock_page(owner_client, data, stock, said):
    reward = RewardFactory(name="Cake", stock=3)

    response = owner_client.post(stock_url(reward), data, follow=True)

    assert said in response.content.decode()
    assert stock_of(reward) == stock


@pytest.mark.parametrize(
    ("data", "said"),
    [
        ({"change": "add", "units": "-5"}, "Only 3 units are in stock; 5 cannot be taken off."),
        ({"change": "add", "units": ""}, "Enter a number of units."),
        ({"change": "set", "units": "-1"}, "The stock cannot go below zero."),
    ],
    ids=["below-zero", "no-number", "negative"],
)
def test_stock_page_explains_a_refused_change_and_changes_nothing(owner_client, data, said):
    reward = RewardFactory(name="Cake", stock=3)

    response = owner_client.post(stock_url(reward), data)

    assert response.status_code == 200
    assert said in response.content.decode()
    assert stock_of(reward) == 3


def test_staff_cannot_open_or_post_the_stock_page(staff_client):
    reward = RewardFactory(stock=3)

    assert staff_client.get(stock_url(reward)).status_code == 403
    assert staff_client.post(stock_url(reward), {"change": "add", "units": "5"}).status_code == 403
    assert stock_of(reward) == 3
