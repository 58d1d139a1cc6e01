"""A URLconf for test_plan_gate: one screen and one API behind the plan gate, beside the real ones."""

from django.http import HttpResponse
from django.urls import include, path
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.access import mail_plan_required
from accounts.permissions import HasMailPlan


@mail_plan_required
def gated_screen(request):
    return HttpResponse("mail screen")


class GatedApi(APIView):
    permission_classes = [HasMailPlan]

    def get(self, request):
        return Response({"ok": True})


urlpatterns = [
    path("gated/", gated_screen),
    path("api/gated/", GatedApi.as_view()),
    path("", include("config.urls")),
]
