"""The till API names rewards in the shop's default language (English), and in another of its
languages only when the till asks for it with Accept-Language."""

from rewards.models import Reward


def test_voucher_names_its_reward_in_english_unless_the_till_asks_for_finnish(till, voucher):
    Reward.objects.filter(pk=voucher.reward_id).update(name_fi="Korvapuusti")

    plain = till.get(f"/api/v1/vouchers/{voucher.code}").json()
    finnish = till.get(f"/api/v1/vouchers/{voucher.code}", **{"Accept-Language": "fi"}).json()

    assert plain["reward"] == "Cinnamon bun"
    assert finnish["reward"] == "Korvapuusti"
