from collections.abc import Callable

from django.http import HttpRequest, HttpResponse


class TenantMiddleware:
    """Puts the signed-in user's tenant on the request as request.tenant (None otherwise).

    API requests authenticate by token inside DRF, after middleware; the API views therefore
    read the tenant from request.user, through accounts.permissions.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        request.tenant = user.tenant if user is not None and user.is_authenticated else None
        return self.get_response(request)
