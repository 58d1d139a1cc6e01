"""Liveness check for load balancers and orchestrators: the process answers, nothing else is asked.

No database, cache, session or template: a probe must not fail because PostgreSQL is briefly busy
(that is a readiness question), and it is the ceiling of a Django request in the tracking benchmark
(tests/bench/bench_tracking_load.py).
"""

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_http_methods

OK = b"ok"


@require_http_methods(["GET", "HEAD"])
def healthz(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(OK, content_type="text/plain; charset=utf-8")
    response["Cache-Control"] = "no-store"
    return response
