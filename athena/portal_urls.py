"""Customer portal pages, gathered from the apps."""

from django.urls import path

from apps.accounts import views as accounts_views

urlpatterns = [
    path("", accounts_views.home, name="home"),
]
