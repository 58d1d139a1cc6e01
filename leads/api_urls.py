from rest_framework.routers import SimpleRouter

from leads.api import LeadViewSet
from leads.list_api import LeadListViewSet

router = SimpleRouter()
router.register("leads", LeadViewSet, basename="lead")
router.register("lead-lists", LeadListViewSet, basename="lead-list")  # preview/ before {id}/, ids are digits

urlpatterns = [*router.urls]
