from django.urls import path

from templates_app import views

app_name = "templates_app"
urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.create, name="create"),
    path("<int:template_id>/edit/", views.edit, name="edit"),
    path("<int:template_id>/delete/", views.delete, name="delete"),
    path("<int:template_id>/content/", views.content, name="content"),
]
