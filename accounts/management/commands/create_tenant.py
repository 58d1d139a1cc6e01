from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email

from accounts.models import User
from accounts.services import create_tenant


class Command(BaseCommand):
    help = "Create a tenant and its admin user; prints the admin's API token as token=<key>."

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True)
        parser.add_argument("--admin-email", required=True)
        parser.add_argument("--password", required=True)
        parser.add_argument("--mail-plan", action="store_true", help="Include the bulk mail add-on.")

    def handle(self, *args, name, admin_email, password, mail_plan, **options):
        try:
            validate_email(admin_email)
        except ValidationError as error:
            raise CommandError(f"--admin-email: {admin_email!r} is not a valid address") from error
        if User.objects.filter(email=admin_email.lower()).exists():
            raise CommandError(f"--admin-email: {admin_email} is already in use")
        tenant, admin, token = create_tenant(name=name, admin_email=admin_email, password=password, mail_plan=mail_plan)
        self.stdout.write(f"tenant={tenant.pk} name={tenant.name} mail_plan={tenant.has_mail_plan}")
        self.stdout.write(f"admin={admin.email}")
        self.stdout.write(f"token={token}")
