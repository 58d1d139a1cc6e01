from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation


class LanguageCookieMiddleware:
    """Japanese unless the person chose another language (cookie set by Django's set_language).

    Unlike Django's LocaleMiddleware this ignores the browser's Accept-Language, so a browser
    set to English still opens the Japanese UI, as the product promises.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response
        self.available = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request: HttpRequest) -> HttpResponse:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen in self.available else settings.LANGUAGE_CODE
        request.LANGUAGE_CODE = language
        with translation.override(language):  # and back afterwards: the thread serves other requests and tasks
            response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response
