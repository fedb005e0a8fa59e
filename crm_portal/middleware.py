"""Turn a job refused for the organization's limit into a message, wherever it was started."""

from collections.abc import Callable

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from .jobs import JobLimitReached


class JobLimitMiddleware:
    """Any page that starts a job may meet the limit; the person gets the page back with why.

    One place for every app: a view that lets `JobLimitReached` through (most start a job with
    one call) needs no code of its own for it.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, JobLimitReached):
            return None
        messages.error(request, " ".join(exception.messages))
        back = request.headers.get("referer", "")
        if not url_has_allowed_host_and_scheme(back, {request.get_host()}, require_https=request.is_secure()):
            back = reverse("jobs:list")
        return redirect(back)
