from django.core.management.base import BaseCommand, CommandError

from loyalty.models import Card
from loyalty.selectors import ledger_mismatches


class Command(BaseCommand):
    help = "Verify that every card's balance equals the sum of its ledger; exit 1 if not."

    def handle(self, *args, **options):
        mismatches = list(ledger_mismatches()[:100])
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
