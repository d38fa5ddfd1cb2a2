from django.http import HttpResponse


def contact(request):
    return HttpResponse("Contact form: being built in issue 4.")


def subscribe(request):
    return HttpResponse("Sign-up: being built in issue 4.")
