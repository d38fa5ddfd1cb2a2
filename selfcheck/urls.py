from django.urls import path

from selfcheck import views

app_name = "selfcheck"

urlpatterns = [
    path("", views.questionnaire, name="questionnaire"),
    path("result/", views.result, name="result"),
]
