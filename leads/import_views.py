from django.http import HttpRequest, HttpResponse

from accounts.access import tenant_member_required


@tenant_member_required
def upload(request: HttpRequest) -> HttpResponse:
    raise NotImplementedError


@tenant_member_required
def export(request: HttpRequest) -> HttpResponse:
    raise NotImplementedError
