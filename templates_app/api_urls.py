from rest_framework.routers import SimpleRouter

from templates_app.api import EmailTemplateViewSet

router = SimpleRouter()
router.register("templates", EmailTemplateViewSet, basename="template")

urlpatterns = router.urls
