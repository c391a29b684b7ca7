import factory
from allauth.account.models import EmailAddress

from accounts.models import User

PASSWORD = "correct-horse-battery"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def verified(self, create, extracted, **kwargs):
        if create and extracted is not False:
            EmailAddress.objects.create(user=self, email=self.email, verified=True, primary=True)
        if create:
            self.save()


class TierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "loyalty.Tier"
        django_get_or_create = ["name"]

    name = "Bronze"
    threshold = 0
    multiplier = "1.00"


def make_tiers():
    """Bronze 0 (1×), Silver 500 (1.25×), Gold 1500 (1.5×)."""
    return (
        TierFactory(name="Bronze", threshold=0, multiplier="1.00"),
        TierFactory(name="Silver", threshold=500, multiplier="1.25"),
        TierFactory(name="Gold", threshold=1500, multiplier="1.50"),
    )


def make_card(user=None, **kwargs):
    """A card issued through the service, so its sign-up bonus is in the ledger."""
    from loyalty import services

    return services.issue_card(user=user, **kwargs)
