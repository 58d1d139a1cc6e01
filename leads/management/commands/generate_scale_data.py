"""Generate a tenant at scale for benchmarks: `manage.py generate_scale_data [--leads N] [--messages N]`."""

from django.core.management.base import BaseCommand, CommandParser

from leads.scale_data import DEFAULT_TENANT_NAME, ensure_scale_tenant


class Command(BaseCommand):
    help = (
        "Generate a tenant with N leads (Japanese B2B distributions), its lists and a sent campaign with M "
        "messages and E events (default 1,000,000 / 1,000,000 / 3 per message). Kept when already there with "
        "the same sizes; replaced otherwise."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--leads", type=int, default=1_000_000)
        parser.add_argument("--messages", type=int, default=1_000_000)
        parser.add_argument("--events-per-message", type=int, default=3)
        parser.add_argument("--tenant-name", default=DEFAULT_TENANT_NAME)
        parser.add_argument("--replace", action="store_true", help="generate anew even if it is there")

    def handle(self, *args, **options) -> None:
        world, generated = ensure_scale_tenant(
            name=options["tenant_name"],
            leads=options["leads"],
            messages=options["messages"],
            events=options["messages"] * options["events_per_message"],
            replace=options["replace"],
            log=self.stdout.write,
        )
        verb = "generated" if generated else "kept (same sizes)"
        self.stdout.write(f"{verb}: tenant={world.tenant.pk} campaign={world.campaign.pk}")
