from django.urls import path

from . import views

urlpatterns = [
    path("console/", views.console, name="console"),
    path("console/photos/<int:pk>/", views.photo, name="console-photo"),
]
