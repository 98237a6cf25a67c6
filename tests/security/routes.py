"""How to reach every named route of the URLconf in the security world, and what to post."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver

from tests.security.world import World

Kwargs = Callable[[World], dict[str, Any]]


@dataclass(frozen=True)
class Route:
    kwargs: Kwargs = lambda world: {}
    post: Callable[[World], dict[str, Any]] | None = None
    #: which object the route is about, when there are several kinds (closed, direct)
    target: str = ""


#: routes whose access matrix lives beside their app, with that app's own personas (case rooms
#: need MFA and a recent sign-in); every such route must be named in that matrix
DELEGATED = {"privacy:": "tests/privacy/test_access_matrix.py"}


def named_routes() -> dict[str, str]:
    """Every named route (``namespace:name`` → pattern) outside the admin site."""
    found: dict[str, str] = {}

    def walk(patterns: list, prefix: str, namespace: str) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                if pattern.namespace == "admin":
                    continue
                walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
            elif isinstance(pattern, URLPattern) and pattern.name:
                found[namespace + pattern.name] = prefix + str(pattern.pattern)

    walk(get_resolver().url_patterns, "", "")
    return found


def empty(world: World) -> dict[str, Any]:
    return {}


def closed(world: World, **extra: Any) -> dict[str, Any]:
    return {"pk": world.closed.pk, **extra}


def article(world: World, **extra: Any) -> dict[str, Any]:
    return {"pk": world.extra["article"].pk, **extra}


def session(world: World, **extra: Any) -> dict[str, Any]:
    return {"pk": world.extra["session"].pk, **extra}


def in_rooms(kwargs: Callable[..., dict[str, Any]], post=None) -> list[Route]:
    """The route for the closed channel and for the direct conversation."""
    return [
        Route(lambda w: kwargs(w, w.closed, w.message), post, "closed"),
        Route(lambda w: kwargs(w, w.direct, w.extra["direct_message"]), post, "direct"),
    ]


ROUTES: dict[str, Route | list[Route]] = {
    "home": Route(),
    "healthz": Route(),
    "favicon": Route(),
    "webmanifest": Route(),
    "service_worker": Route(),
    "offline": Route(),
    "set_language": Route(post=lambda w: {"language": "en", "next": "/"}),
    "accounts:invitation_list": Route(
        post=lambda w: {"email": "nieuw@wijk.example", "display_name": "Nieuw", "roles": []}
    ),
    "accounts:invitation_revoke": Route(lambda w: {"pk": w.extra["invitation"].pk}, post=empty),
    "accounts:accept_invitation": Route(lambda w: {"token": "not-a-token"}),
    "accounts:confirm_second_factor_removal": Route(
        lambda w: {"token": "not-a-token"}, post=lambda w: {"password": "geraden"}
    ),
    "directory:index": Route(),
    "directory:profile_edit": Route(),
    "directory:membership_request": Route(post=lambda w: {"organisation": w.organisation.pk}),
    "directory:professional": Route(lambda w: {"pk": w.users["member"].professional.pk}),
    "directory:professional_vcard": Route(lambda w: {"pk": w.users["member"].professional.pk}),
    "directory:professional_photo": Route(lambda w: {"pk": w.users["member"].professional.pk}),
    "directory:social_map": Route(),
    "directory:organisation": Route(lambda w: {"slug": w.organisation.slug}),
    "directory:organisation_edit": Route(lambda w: {"slug": w.organisation.slug}),
    "directory:organisation_members": Route(lambda w: {"slug": w.organisation.slug}),
    "directory:membership_action": Route(
        lambda w: {
            "slug": w.organisation.slug,
            "pk": w.organisation_membership.pk,
            "action": "approve",
        },
        post=empty,
    ),
    "channels_app:index": Route(),
    "channels_app:create": Route(post=lambda w: {"kind": "open", "name": "Nieuw kanaal"}),
    "channels_app:search": Route(),
    "channels_app:switcher": Route(),
    "channels_app:notifications": Route(),
    "channels_app:open_notification": Route(
        lambda w: {"notification_id": w.notification.pk}, post=empty
    ),
    "channels_app:push_settings": Route(
        post=lambda w: {"quiet_from": "18:00", "quiet_until": "08:00", "quiet_weekends": "on"}
    ),
    # a form post is no subscription (JSON): 400 for whoever may subscribe
    "channels_app:push_devices": Route(post=lambda w: {"endpoint": "x"}),
    "channels_app:push_device": Route(
        lambda w: {"device_id": w.extra["device"].pk, "action": "remove"}, post=empty
    ),
    "channels_app:reports": Route(),
    "channels_app:report_detail": [
        Route(
            lambda w, target=target: {"report_id": w.extra["reports"][target].pk},
            lambda w: {"outcome": "dismissed"},
            target,
        )
        for target in ("closed", "direct")
    ],
    "channels_app:direct": Route(),
    "channels_app:direct_with": Route(lambda w: {"user_id": w.owner.pk}, post=empty),
    "channels_app:decide": Route(
        lambda w: {"request_id": w.membership_request.pk, "decision": "accept"}, post=empty
    ),
    "channels_app:channel": in_rooms(lambda w, room, m: {"pk": room.pk}),
    "channels_app:post": in_rooms(lambda w, room, m: {"pk": room.pk}, lambda w: {"body": "Hoi"}),
    "channels_app:upload": in_rooms(lambda w, room, m: {"pk": room.pk}, lambda w: {}),
    "channels_app:attachment": [
        Route(lambda w: closed(w, attachment_id=w.attachment.pk), target="closed"),
        Route(
            lambda w: {"pk": w.direct.pk, "attachment_id": w.extra["direct_attachment"].pk},
            target="direct",
        ),
    ],
    "channels_app:permalink": in_rooms(lambda w, room, m: {"pk": room.pk, "seq": m.seq}),
    "channels_app:thread": in_rooms(lambda w, room, m: {"pk": room.pk, "message_id": m.pk}),
    "channels_app:report": in_rooms(
        lambda w, room, m: {"pk": room.pk, "message_id": m.pk}, lambda w: {"reason": "Onjuist"}
    ),
    "channels_app:edit": in_rooms(
        lambda w, room, m: {"pk": room.pk, "message_id": m.pk}, lambda w: {"body": "Gewijzigd"}
    ),
    "channels_app:message_action": in_rooms(
        lambda w, room, m: {"pk": room.pk, "message_id": m.pk, "action": "pin"}, empty
    ),
    "channels_app:members": in_rooms(lambda w, room, m: {"pk": room.pk}),
    "channels_app:people": in_rooms(lambda w, room, m: {"pk": room.pk}),
    "channels_app:member_action": in_rooms(
        lambda w, room, m: {"pk": room.pk, "user_id": w.users["member"].pk, "action": "remove"},
        empty,
    ),
    "channels_app:settings": in_rooms(lambda w, room, m: {"pk": room.pk}),
    "channels_app:info": in_rooms(lambda w, room, m: {"pk": room.pk}),
    "channels_app:favourite": in_rooms(
        lambda w, room, m: {"pk": room.pk}, lambda w: {"favourite": "1"}
    ),
    "channels_app:push_level": in_rooms(
        lambda w, room, m: {"pk": room.pk}, lambda w: {"push": "mentions"}
    ),
    "channels_app:membership_action": in_rooms(
        lambda w, room, m: {"pk": room.pk, "action": "archive"}, empty
    ),
    "knowledge:index": Route(),
    "knowledge:reading_list": Route(),
    "knowledge:article_new": Route(),
    "knowledge:article": Route(article),
    "knowledge:article_edit": Route(article),
    "knowledge:cover": Route(article),
    "knowledge:attachment_upload": Route(article, post=empty),
    "knowledge:attachment": Route(
        lambda w: article(w, attachment_id=w.extra["article_attachment"].pk)
    ),
    "knowledge:attachment_delete": Route(
        lambda w: article(w, attachment_id=w.extra["article_attachment"].pk), post=empty
    ),
    "knowledge:history": Route(article),
    "knowledge:revision": Route(lambda w: article(w, number=w.extra["revision"].number)),
    "knowledge:revision_restore": Route(
        lambda w: article(w, number=w.extra["revision"].number), post=empty
    ),
    "knowledge:comment_post": Route(article, post=lambda w: {"body": "Mooi stuk"}),
    "knowledge:comment_action": Route(
        lambda w: article(w, comment_id=w.extra["comment"].pk, action="hide"), post=empty
    ),
    "knowledge:bookmark": Route(article, post=empty),
    "knowledge:share": Route(article, post=lambda w: {"channel": w.closed.pk}),
    "knowledge:article_status": Route(lambda w: article(w, action="unpublish"), post=empty),
    "knowledge:sessions": Route(),
    "knowledge:archive": Route(),
    "knowledge:session_new": Route(),
    "knowledge:calendar": Route(),
    "knowledge:calendar_feed": Route(lambda w: {"token": w.extra["feed"].token}),
    "knowledge:session": Route(session),
    "knowledge:session_edit": Route(session),
    "knowledge:session_ics": Route(session),
    "knowledge:attendance": Route(session),
    "knowledge:material_upload": Route(session, post=empty),
    "knowledge:material": Route(lambda w: session(w, material_id=w.extra["material"].pk)),
    "knowledge:registration": Route(lambda w: session(w, action="register"), post=empty),
    "insights:dashboard": Route(),
    # allauth's own pages, configured here: sign-up closed, MFA behind sign-in
    "account_login": Route(post=lambda w: {"login": "niemand@wijk.example", "password": "fout"}),
    "account_logout": Route(post=empty),
    "account_inactive": Route(),
    "account_signup": Route(),
    "account_reauthenticate": Route(),
    "account_request_reauthentication_code": Route(),
    "account_confirm_reauthentication_code": Route(),
    "account_email": Route(),
    "account_email_verification_sent": Route(),
    "account_change_password": Route(),
    "account_set_password": Route(),
    "account_reset_password": Route(),
    "account_confirm_login_code": Route(),
    "account_confirm_email": Route(lambda w: {"key": "not-a-key"}),
    "account_reset_password_from_key_done": Route(),
    "account_reset_password_from_key": Route(lambda w: {"uidb36": "1", "key": "not-a-key"}),
    "account_reset_password_done": Route(),
    "mfa_index": Route(),
    "mfa_authenticate": Route(),
    "mfa_reauthenticate": Route(),
    "mfa_activate_totp": Route(),
    "mfa_deactivate_totp": Route(),
    "mfa_view_recovery_codes": Route(),
    "mfa_generate_recovery_codes": Route(),
    "mfa_download_recovery_codes": Route(),
    "insights:export": Route(lambda w: {"slug": "active-professionals"}),
    "insights:report": Route(lambda w: {"quarter": w.extra["quarter"]}),
    "insights:expected_headcount": Route(post=empty),
    "insights:organisation_expected": Route(
        lambda w: {"slug": w.organisation.slug},
        post=lambda w: {f"expected-{w.organisation.pk}": "30"},
    ),
    "insights:reach_export": Route(lambda w: {"slug": "reach-organisations"}),
    "insights:pulse": Route(post=empty),
    "insights:pulse_dismiss": Route(post=empty),
    "insights:targets": Route(post=lambda w: {"active_professionals": "40", "note": "Groei"}),
}
