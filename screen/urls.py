from django.urls import path

from screen import views
from screen.api.views import ScreenBasemapView, ScreenSnapshotView

urlpatterns = [path("screen/", views.screen, name="screen")]

api_urlpatterns = [
    path("screen/snapshot", ScreenSnapshotView.as_view(), name="screen-snapshot"),
    path("screen/basemap", ScreenBasemapView.as_view(), name="screen-basemap"),
]
