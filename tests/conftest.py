import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.utils import translation

from accounts.roles import OWNER, STAFF
from tests.factories import UserFactory


def pytest_configure(config):
    # A real password hash costs a third of a second by design; the suite makes thousands.
    # Log-ins, password checks and changes behave the same with a fast hasher.
    from django.conf import settings

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def shop_language():
    # A page activates its member's language in the test's own thread and leaves it active. The
    # next test would then write the owner's texts (a reward's name) into that language's
    # column instead of English: every test starts, and ends, in the shop's default language.
    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def fresh_cache():
    # Rate limits live in the cache; one test's attempts must not count in the next.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def tasks_run_after_commit():
    """A queued task (an e-mail) is delivered once the change that queued it commits, as the
    worker beside the web server would; a test's own transaction never commits unless the test
    captures its on-commit callbacks. tests/suki/test_outages.py drives the worker itself."""
    from django.db import transaction
    from django_tasks.signals import task_enqueued

    from tests.tasks import run_task

    def deliver_after_commit(sender, task_result, **kwargs):
        transaction.on_commit(lambda: run_task(task_result.id))

    task_enqueued.connect(deliver_after_commit, dispatch_uid="tests.deliver_after_commit")
    yield
    task_enqueued.disconnect(dispatch_uid="tests.deliver_after_commit")


@pytest.fixture(autouse=True)
def ledger_adds_up(request):
    """After every test that touched the database, every card's balance equals its ledger."""
    uses_db = [name for name in ["transactional_db", "db"] if name in request.fixturenames]
    marker = request.node.get_closest_marker("django_db")
    if marker and not uses_db:
        uses_db = ["transactional_db" if marker.kwargs.get("transaction") else "db"]
    if uses_db:
        # Set the database up inside this fixture so it is still there at the check.
        request.getfixturevalue(uses_db[0])
    yield
    if uses_db and not request.node.get_closest_marker("ledger_broken_on_purpose"):
        from loyalty.selectors import ledger_mismatches

        broken = [(card.number, card.balance, card.ledger_total) for card in ledger_mismatches()]
        assert broken == [], "ledger does not add up"
        from loyalty.stamps import stamp_mismatches

        assert stamp_mismatches() == [], "stamp ledger does not add up"


@pytest.fixture
def program(db):
    from loyalty.models import Program

    return Program.current()


@pytest.fixture
def tiers(db):
    from tests.factories import make_tiers

    return make_tiers()


@pytest.fixture
def card(member, tiers):
    from tests.factories import make_card

    return make_card(member)


@pytest.fixture
def outsider_card(outsider, tiers):
    from tests.factories import make_card

    return make_card(outsider)


@pytest.fixture
def owner(db):
    user = UserFactory(email="owner@example.com", first_name="Olivia", is_staff=True)
    user.groups.add(Group.objects.get(name=OWNER))
    return user


@pytest.fixture
def staff(db):
    user = UserFactory(email="staff@example.com", first_name="Sami", is_staff=True)
    user.groups.add(Group.objects.get(name=STAFF))
    return user


@pytest.fixture
def member(db):
    return UserFactory(email="member@example.com", first_name="Maria", last_name="Reyes")


@pytest.fixture
def outsider(db):
    return UserFactory(email="outsider@example.com", first_name="Otto", last_name="Outsider")


@pytest.fixture
def member_client(client, member):
    client.force_login(member)
    return client


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


@pytest.fixture
def owner_client(client, owner):
    client.force_login(owner)
    return client


def pytest_collection_modifyitems(items):
    # Browser journeys run last: they are the slowest and they flush the database.
    items.sort(key=lambda item: "/e2e/" in str(item.fspath))
