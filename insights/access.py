"""Only programme managers and platform administrators see the coalition's figures."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse

from accounts.roles import Role


def insights_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not getattr(request.user, "can_see_insights", False):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


def targets_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Targets and notes are the programme managers' own: platform administrators see them on
    the dashboard but do not set them."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not may_set_targets(request.user):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


def may_set_targets(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.has_role(Role.PROGRAMME_MANAGER))
