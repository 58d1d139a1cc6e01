from django.urls import path
from rest_framework.routers import SimpleRouter

from leads.api import LeadViewSet
from leads.import_api import LeadImportView
from leads.list_api import LeadListViewSet

router = SimpleRouter()
router.register("leads", LeadViewSet, basename="lead")
router.register("lead-lists", LeadListViewSet, basename="lead-list")  # preview/ before {id}/, ids are digits

urlpatterns = [
    path("leads/import/", LeadImportView.as_view(), name="lead-import"),  # before the router's leads/{pk}/
    *router.urls,
]
