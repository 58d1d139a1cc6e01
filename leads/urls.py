from django.urls import path

from leads import import_views, list_views, views

app_name = "leads"
urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.create, name="create"),
    path("<int:lead_id>/", views.detail, name="detail"),
    path("<int:lead_id>/edit/", views.edit, name="edit"),
    path("<int:lead_id>/delete/", views.delete, name="delete"),
    # CSV import and export
    path("export/", import_views.export, name="export"),
    path("import/", import_views.upload, name="import_upload"),
    path("import/<str:token>/", import_views.mapping, name="import_mapping"),
    path("import/<str:token>/run/", import_views.run, name="import_run"),
    path("import/<str:token>/result/", import_views.result, name="import_result"),
    path("import/<str:token>/errors/", import_views.errors_download, name="import_errors"),
    # Lead lists (L3)
    path("lists/", list_views.index, name="list_index"),
    path("lists/new/", list_views.create, name="list_create"),
    path("lists/preview/", list_views.preview, name="list_preview"),
    path("lists/filter-row/", list_views.filter_row, name="list_filter_row"),
    path("lists/<int:list_id>/", list_views.detail, name="list_detail"),
    path("lists/<int:list_id>/edit/", list_views.edit, name="list_edit"),
    path("lists/<int:list_id>/delete/", list_views.delete, name="list_delete"),
    path("lists/<int:list_id>/export/", list_views.export, name="list_export"),
]
