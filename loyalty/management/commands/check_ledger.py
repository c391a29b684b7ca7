from django.core.management.base import BaseCommand, CommandError

from loyalty.models import Card
from loyalty.selectors import ledger_mismatches
from loyalty.stamps import stamp_mismatches


def stamp_problems() -> list[str]:
    """Each member card whose stamps on a stamp card are not the sum of its stamp lines."""
    problems = []
    for progress, cached, total in stamp_mismatches():
        problems.append(
            f"Stamp card {progress.stamp_card.name} on card {progress.card.formatted_number}: "
            f"stamps {cached}, ledger sum {total}"
        )
    return problems


class Command(BaseCommand):
    help = "Verify that every card's balance equals the sum of its ledger; exit 1 if not."

    def handle(self, *args, **options):
        mismatches = ledger_mismatches(limit=100)
        stamps_off = stamp_problems()
        for problem in stamps_off:
            self.stderr.write(problem)
        if stamps_off and not mismatches:
            raise CommandError(f"{len(stamps_off)} stamp card(s) do not add up.")
        if mismatches:
            for card in mismatches:
                self.stderr.write(
                    f"Card {card.formatted_number} (id {card.pk}): balance {card.balance}, "
                    f"ledger sum {card.ledger_total}, last line says {card.last_balance_after}"
                )
            raise CommandError(f"{len(mismatches)} card(s) do not add up.")
        self.stdout.write(
            self.style.SUCCESS(f"Ledger adds up for all {Card.objects.count()} cards.")
        )
