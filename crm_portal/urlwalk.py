"""Enumerate the portal's URL patterns with their object-id parameters, for the access tests.

Object ids in URLs are named `<model name>_id` (`client_id`, `job_id`); that convention lets
the tenancy test find the model behind every parameter, so new URLs are covered automatically.
"""

from dataclasses import dataclass, field

from django.urls import URLPattern, URLResolver, get_resolver

from .tenancy import is_tenant_model, model_for_parameter

__all__ = ["Route", "iter_routes", "is_tenant_model", "model_for_parameter", "NON_OBJECT_PARAMETERS"]

# Parameters that do not name a tenant object (public survey tokens and the like).
NON_OBJECT_PARAMETERS = {"token", "lang", "language", "period", "kind", "code", "shape", "cell"}
SKIPPED_NAMESPACES = {"admin"}


@dataclass
class Route:
    name: str  # namespaced, ready for reverse()
    route: str
    parameters: list[str] = field(default_factory=list)
    callback: object = None


def iter_routes(resolver: URLResolver | None = None, prefix: str = "", namespace: str = "", params=None):
    resolver = resolver or get_resolver()
    params = params or []
    for entry in resolver.url_patterns:
        converters = list(getattr(entry.pattern, "converters", {}).keys())
        if isinstance(entry, URLResolver):
            if entry.namespace in SKIPPED_NAMESPACES:
                continue
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from iter_routes(entry, prefix + str(entry.pattern), ns, params + converters)
        elif isinstance(entry, URLPattern):
            yield Route(
                name=f"{namespace}{entry.name}" if entry.name else "",
                route=prefix + str(entry.pattern),
                parameters=params + converters,
                callback=entry.callback,
            )
