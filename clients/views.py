from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from crm_portal.tenancy import roles_required


@roles_required()
def client_list(request: HttpRequest) -> HttpResponse:
    return render(request, "clients/client_list.html", {})
