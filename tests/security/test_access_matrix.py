"""The access matrix: every named route and every websocket route, for every persona.

The routes come from the URLconf and the websocket routing themselves, so a new route without
an entry here fails ``test_every_route_is_in_the_matrix``. Each row gives, per persona in the
order of ``PERSONAS``, what a request gets:

    O  200              R  redirect (not to sign-in)     L  redirect to sign-in
    3  403 (for the unverified: "awaiting verification")   4  404
    5  405 (wrong method)   B  400 (bad input)   410  gone (a bad invitation or confirmation link)

Every refused POST must leave the database exactly as it was.

The last persona, ``superuser``, is the platform administrator as ``seed_demo`` makes one:
superuser and staff besides the role. Django grants a superuser every model permission; the
column proves that this opens no direct conversation and no closed channel (it
must read exactly as the ``admin`` column). The case rooms' superuser rows are in
``tests/security/test_superuser_rooms.py``.

Three more columns, not written out, are members whose right was taken away (``REVOKED``): each
must read exactly like the column named there. Their open sockets are in
``tests/security/test_socket_revocation.py``; case rooms have the same personas in
``tests/privacy/test_access_matrix.py``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse

from channels_app import services
from channels_app.models import Membership
from directory import services as directory_services
from directory.models import Membership as OrganisationMembership
from tests.factories import ProfessionalFactory, SuperuserFactory, UserFactory
from tests.security.routes import DELEGATED, ROUTES, Route, named_routes
from tests.security.world import PERSONAS as WORLD_PERSONAS
from tests.security.world import World, build_world
from tests.servers import ROOT

pytestmark = pytest.mark.django_db

#: members of the closed channel and the direct conversation whose right was taken away, and the
#: persona whose column each must read exactly like, on every route: deactivated → signed out;
#: verification lost (their organisation removed them) → unverified; password changed in
#: another session → this session signed out
REVOKED = {
    "deactivated": "anonymous",
    "verification_lost": "unverified",
    "password_changed": "anonymous",
}
COLUMNS = (*WORLD_PERSONAS, "superuser")
PERSONAS = (*COLUMNS, *REVOKED)

#: persona order:  anonymous unverified outsider member moderator trainer coordinator
#:                 privacy_officer admin superuser
MATRIX = """
home                                         get  L O O O O O O O O O
healthz                                      get  O O O O O O O O O O
favicon                                      get  O O O O O O O O O O
webmanifest                                  get  O O O O O O O O O O
service_worker                               get  O O O O O O O O O O
offline                                      get  O O O O O O O O O O
set_language                                 get  R R R R R R R R R R
set_language                                 post R R R R R R R R R R
accounts:invitation_list                     get  L 4 4 4 4 4 4 4 O O
accounts:invitation_list                     post L 4 4 4 4 4 4 4 R R
accounts:invitation_revoke                   get  L 5 5 5 5 5 5 5 5 5
accounts:invitation_revoke                   post L 4 4 4 4 4 4 4 R R
accounts:accept_invitation                   get  410 R R R R R R R R R
accounts:confirm_second_factor_removal       get  410 410 410 410 410 410 410 410 410 410
accounts:confirm_second_factor_removal       post 410 410 410 410 410 410 410 410 410 410
directory:index                              get  L 3 O O O O O 3 O O
directory:profile_edit                       get  L O O O O O O O O O
directory:membership_request                 get  L 5 5 5 5 5 5 5 5 5
directory:membership_request                 post L R R R R R R R R R
directory:professional                       get  L 3 O O O O O 3 O O
directory:professional_vcard                 get  L 3 O O O O O 3 O O
directory:professional_photo                 get  L 4 4 4 4 4 4 4 4 4
directory:social_map                         get  L 3 O O O O O 3 O O
directory:organisation                       get  L 3 O O O O O 3 O O
directory:organisation_edit                  get  L 4 4 4 4 4 4 4 O O
directory:organisation_members               get  L 4 4 4 4 4 4 4 O O
directory:membership_action                  get  L 5 5 5 5 5 5 5 5 5
directory:membership_action                  post L 4 4 4 4 4 4 4 R R
channels_app:index                           get  L 3 O O O O O 3 O O
channels_app:create                          get  L 3 O O O O O 3 O O
channels_app:create                          post L 3 R R R R R 3 R R
channels_app:search                          get  L 3 O O O O O 3 O O
channels_app:switcher                        get  L 3 O O O O O 3 O O
channels_app:notifications                   get  L 3 O O O O O 3 O O
channels_app:open_notification               get  L 3 5 5 5 5 5 3 5 5
channels_app:open_notification               post L 3 4 R 4 4 4 3 4 4
channels_app:push_settings                   get  L 3 O O O O O 3 O O
channels_app:push_settings                   post L 3 R R R R R 3 R R
channels_app:push_devices                    get  L 3 5 5 5 5 5 3 5 5
channels_app:push_devices                    post L 3 B B B B B 3 B B
channels_app:push_device                     get  L 3 5 5 5 5 5 3 5 5
channels_app:push_device                     post L 3 4 R 4 4 4 3 4 4
channels_app:reports                         get  L 3 O O O O O 3 O O
channels_app:report_detail           closed  get  L 3 4 4 O 4 4 3 O O
channels_app:report_detail           closed  post L 3 4 4 R 4 4 3 R R
channels_app:report_detail           direct  get  L 3 4 4 4 4 4 3 O O
channels_app:report_detail           direct  post L 3 4 4 4 4 4 3 R R
channels_app:direct                          get  L 3 O O O O O 3 O O
channels_app:direct_with                     get  L 3 5 5 5 5 5 3 5 5
channels_app:direct_with                     post L 3 R R R R R 3 R R
channels_app:decide                          get  L 3 5 5 5 5 5 3 5 5
channels_app:decide                          post L 3 4 4 4 4 4 3 4 4
channels_app:channel                 closed  get  L 3 O O O O O 3 O O
channels_app:channel                 direct  get  L 3 4 O 4 4 4 3 4 4
channels_app:post                    closed  get  L 3 5 5 5 5 5 3 5 5
channels_app:post                    closed  post L 3 4 R R 4 4 3 4 4
channels_app:post                    direct  get  L 3 5 5 5 5 5 3 5 5
channels_app:post                    direct  post L 3 4 R 4 4 4 3 4 4
channels_app:upload                  closed  get  L 3 5 5 5 5 5 3 5 5
channels_app:upload                  closed  post L 3 4 B B 4 4 3 4 4
channels_app:upload                  direct  get  L 3 5 5 5 5 5 3 5 5
channels_app:upload                  direct  post L 3 4 B 4 4 4 3 4 4
channels_app:attachment              closed  get  L 3 4 O 4 4 4 3 4 4
channels_app:attachment              direct  get  L 3 4 O 4 4 4 3 4 4
channels_app:permalink               closed  get  L 3 4 R R 4 4 3 4 4
channels_app:permalink               direct  get  L 3 4 R 4 4 4 3 4 4
channels_app:thread                  closed  get  L 3 4 O O 4 4 3 4 4
channels_app:thread                  direct  get  L 3 4 O 4 4 4 3 4 4
channels_app:report                  closed  get  L 3 4 O O 4 4 3 4 4
channels_app:report                  closed  post L 3 4 R R 4 4 3 4 4
channels_app:report                  direct  get  L 3 4 O 4 4 4 3 4 4
channels_app:report                  direct  post L 3 4 R 4 4 4 3 4 4
channels_app:edit                    closed  get  L 3 4 O 4 4 4 3 4 4
channels_app:edit                    closed  post L 3 4 R 4 4 4 3 4 4
channels_app:edit                    direct  get  L 3 4 4 4 4 4 3 4 4
channels_app:edit                    direct  post L 3 4 4 4 4 4 3 4 4
channels_app:message_action          closed  get  L 3 5 5 5 5 5 3 5 5
channels_app:message_action          closed  post L 3 4 4 R 4 4 3 4 4
channels_app:message_action          direct  get  L 3 5 5 5 5 5 3 5 5
channels_app:message_action          direct  post L 3 4 R 4 4 4 3 4 4
channels_app:members                 closed  get  L 3 4 O O 4 4 3 4 4
channels_app:people                  closed  get  L 3 4 O O 4 4 3 4 4
channels_app:people                  direct  get  L 3 4 O 4 4 4 3 4 4
channels_app:members                 direct  get  L 3 4 4 4 4 4 3 4 4
channels_app:member_action           closed  get  L 3 5 5 5 5 5 3 5 5
channels_app:member_action           closed  post L 3 4 4 R 4 4 3 4 4
channels_app:member_action           direct  get  L 3 5 5 5 5 5 3 5 5
channels_app:member_action           direct  post L 3 4 4 4 4 4 3 4 4
channels_app:settings                closed  get  L 3 4 4 4 4 4 3 4 4
channels_app:settings                direct  get  L 3 4 4 4 4 4 3 4 4
channels_app:info                    closed  get  L 3 4 O O 4 4 3 4 4
channels_app:info                    direct  get  L 3 4 O 4 4 4 3 4 4
channels_app:favourite               closed  get  L 3 5 5 5 5 5 3 5 5
channels_app:favourite               closed  post L 3 4 R R 4 4 3 4 4
channels_app:favourite               direct  get  L 3 5 5 5 5 5 3 5 5
channels_app:favourite               direct  post L 3 4 R 4 4 4 3 4 4
channels_app:push_level              closed  get  L 3 5 5 5 5 5 3 5 5
channels_app:push_level              closed  post L 3 4 R R 4 4 3 4 4
channels_app:push_level              direct  get  L 3 5 5 5 5 5 3 5 5
channels_app:push_level              direct  post L 3 4 R 4 4 4 3 4 4
channels_app:membership_action       closed  get  L 3 5 5 5 5 5 3 5 5
channels_app:membership_action       closed  post L 3 4 4 4 4 4 3 4 4
channels_app:membership_action       direct  get  L 3 5 5 5 5 5 3 5 5
channels_app:membership_action       direct  post L 3 4 4 4 4 4 3 4 4
knowledge:index                              get  L 3 O O O O O 3 O O
knowledge:reading_list                       get  L 3 O O O O O 3 O O
knowledge:article_new                        get  L 3 4 4 4 O 4 3 O O
knowledge:article                            get  L 3 4 O O O 4 3 O O
knowledge:article_edit                       get  L 3 4 4 4 O 4 3 O O
knowledge:cover                              get  L 3 4 4 4 4 4 3 4 4
knowledge:attachment_upload                  get  L 3 5 5 5 5 5 3 5 5
knowledge:attachment_upload                  post L 3 4 4 4 R 4 3 R R
knowledge:attachment                         get  L 3 4 O O O 4 3 O O
knowledge:attachment_delete                  get  L 3 5 5 5 5 5 3 5 5
knowledge:attachment_delete                  post L 3 4 4 4 R 4 3 R R
knowledge:history                            get  L 3 4 4 4 O 4 3 O O
knowledge:revision                           get  L 3 4 4 4 O 4 3 O O
knowledge:revision_restore                   get  L 3 5 5 5 5 5 3 5 5
knowledge:revision_restore                   post L 3 4 4 4 R 4 3 R R
knowledge:comment_post                       get  L 3 5 5 5 5 5 3 5 5
knowledge:comment_post                       post L 3 4 R R R 4 3 R R
knowledge:comment_action                     get  L 3 5 5 5 5 5 3 5 5
knowledge:comment_action                     post L 3 4 R 4 R 4 3 R R
knowledge:bookmark                           get  L 3 5 5 5 5 5 3 5 5
knowledge:bookmark                           post L 3 4 R R R 4 3 R R
knowledge:share                              get  L 3 5 5 5 5 5 3 5 5
knowledge:share                              post L 3 4 R R R 4 3 R R
knowledge:article_status                     get  L 3 5 5 5 5 5 3 5 5
knowledge:article_status                     post L 3 4 4 4 R 4 3 R R
knowledge:sessions                           get  L 3 O O O O O 3 O O
knowledge:archive                            get  L 3 O O O O O 3 O O
knowledge:session_new                        get  L 3 4 4 4 O 4 3 O O
knowledge:calendar                           get  L 3 O O O O O 3 O O
knowledge:calendar_feed                      get  O O O O O O O O O O
knowledge:session                            get  L 3 O O O O O 3 O O
knowledge:session_edit                       get  L 3 4 4 4 O 4 3 O O
knowledge:session_ics                        get  L 3 O O O O O 3 O O
knowledge:attendance                         get  L 3 4 4 4 O 4 3 O O
knowledge:material_upload                    get  L 3 5 5 5 5 5 3 5 5
knowledge:material_upload                    post L 3 4 4 4 R 4 3 R R
knowledge:material                           get  L 3 O O O O O 3 O O
knowledge:registration                       get  L 3 5 5 5 5 5 3 5 5
knowledge:registration                       post L 3 R R R R R 3 R R
insights:dashboard                           get  L 4 4 4 4 4 4 4 O O
account_login                                get  O R R R R R R R R R
account_login                                post O R R R R R R R R R
account_logout                               get  L O O O O O O O O O
account_logout                               post L L L L L L L L L L
account_inactive                             get  O O O O O O O O O O
account_signup                               get  O R R R R R R R R R
account_reauthenticate                       get  L O O O O O O O O O
account_request_reauthentication_code        get  L 3 3 3 3 3 3 3 3 3
account_confirm_reauthentication_code        get  L 3 3 3 3 3 3 3 3 3
account_email                                get  L O O O O O O O O O
account_email_verification_sent              get  O O O O O O O O O O
account_change_password                      get  L O O O O O O O O O
account_set_password                         get  L R R R R R R R R R
account_reset_password                       get  O O O O O O O O O O
account_confirm_login_code                   get  L R R R R R R R R R
account_confirm_email                        get  O O O O O O O O O O
account_reset_password_from_key_done         get  O O O O O O O O O O
account_reset_password_from_key              get  O O O O O O O O O O
account_reset_password_done                  get  O O O O O O O O O O
mfa_index                                    get  L O O O O O O O O O
mfa_authenticate                             get  L R R R R R R R R R
mfa_reauthenticate                           get  L R R R R R R R R R
mfa_activate_totp                            get  L R R R R R R R R R
mfa_deactivate_totp                          get  L 4 4 4 4 4 4 4 4 4
mfa_view_recovery_codes                      get  L 4 4 4 4 4 4 4 4 4
mfa_generate_recovery_codes                  get  L R R R R R R R R R
mfa_download_recovery_codes                  get  L 4 4 4 4 4 4 4 4 4
insights:export                              get  L 4 4 4 4 4 4 4 O O
insights:report                              get  L 4 4 4 4 4 4 4 O O
insights:expected_headcount                  get  L 5 5 5 5 5 5 5 5 5
insights:expected_headcount                  post L 4 4 4 4 4 4 4 4 4
insights:organisation_expected               get  L 4 4 4 4 4 4 4 O O
insights:organisation_expected               post L 4 4 4 4 4 4 4 R R
insights:reach_export                        get  L 4 4 4 4 4 4 4 O O
insights:pulse                               get  L 3 O O O O O 3 4 4
insights:pulse                               post L 3 O O O O O 3 4 4
insights:pulse_dismiss                       get  5 5 5 5 5 5 5 5 5 5
insights:pulse_dismiss                       post L 3 R R R R R 3 4 4
insights:targets                             get  L 4 4 4 4 4 4 4 4 4
insights:targets                             post L 4 4 4 4 4 4 4 4 4
"""

EXPECTED: dict[tuple[str, str, str], list[str]] = {}
for line in MATRIX.strip().splitlines():
    parts = line.split()
    if len(parts) == 2 + len(COLUMNS):
        name, method, *outcomes = parts
        target = ""
    else:
        name, target, method, *outcomes = parts
    EXPECTED[name, target, method] = outcomes + [
        outcomes[COLUMNS.index(p)] for p in REVOKED.values()
    ]


def _routes() -> Iterator[tuple[str, Route]]:
    for name, routes in ROUTES.items():
        for route in routes if isinstance(routes, list) else [routes]:
            yield name, route


CASES = [
    (name, route, method)
    for name, route in _routes()
    for method in ["get"] + (["post"] if route.post else [])
]


def outcome(response) -> str:
    if response.status_code in (301, 302, 303):
        return "L" if response["Location"].startswith("/accounts/login/") else "R"
    return {200: "O", 400: "B", 403: "3", 404: "4", 405: "5"}.get(
        response.status_code, str(response.status_code)
    )


def assert_security_headers(response, where: str) -> None:
    """Every response, whatever its status: a policy, no sniffing, no framing, no referrer."""
    csp = response.get("Content-Security-Policy", "")
    assert "default-src 'self'" in csp or "sandbox" in csp, where
    assert "unsafe-inline" not in csp.split("script-src", 1)[-1].split(";", 1)[0], where
    assert "frame-ancestors 'none'" in csp or "sandbox" in csp, where
    assert response["X-Content-Type-Options"] == "nosniff", where
    assert response["X-Frame-Options"] == "DENY", where
    assert response["Referrer-Policy"] == "same-origin", where


def snapshot() -> dict[str, int]:
    """What has been written so far, per table: a refused request must write nothing.

    The transaction's own statistics count every insert, update and delete. Sessions are left
    out: a refusal may add a message to one.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, n_tup_ins + n_tup_upd + n_tup_del "
            "FROM pg_stat_xact_user_tables WHERE relname <> 'django_session'"
        )
        return dict(cursor.fetchall())


def build_matrix_world() -> World:
    """The security world plus what only this matrix uses: the superuser persona, a file shared
    in the direct conversation (the direct ``attachment`` rows), and a reported message in each
    room (the ``report_detail`` rows)."""
    world = build_world()
    world.users["superuser"] = SuperuserFactory(display_name="Sara Superuser")
    owner, pdf = world.owner, SimpleUploadedFile("brief.pdf", b"%PDF-1.4\n%%EOF\n")
    file = services.upload_attachment(world.direct, by=owner, upload=pdf)
    services.post_message(world.direct.pk, author=owner, body="Bijlage", attachment_ids=[file.pk])
    world.extra["direct_attachment"] = file
    _revoke_members(world)
    world.extra["reports"] = {
        "closed": services.report_message(world.message, by=owner, reason="Hoort hier niet"),
        "direct": services.report_message(
            world.extra["direct_message"], by=world.users["member"], reason="Ongepast"
        ),
    }
    return world


def _revoke_members(world: World) -> None:
    """The ``REVOKED`` personas: members first, then each loses the right in its own way. The
    password is changed after a session was opened, which the requests then use."""
    for persona in REVOKED:
        user = ProfessionalFactory(user=UserFactory(display_name=persona.replace("_", " "))).user
        services._add_member(world.closed, user, Membership.Role.MEMBER)
        services._add_member(world.direct, user, Membership.Role.MEMBER)
        world.users[persona] = user
    world.users["deactivated"].is_active = False
    world.users["deactivated"].save()
    directory_services.remove_membership(
        OrganisationMembership.objects.get(professional__user=world.users["verification_lost"]),
        by=world.users["admin"],
    )
    client = Client()
    client.force_login(world.users["password_changed"])
    world.extra["session_keys"] = {"password_changed": client.session.session_key}
    world.users["password_changed"].set_password("Een-ander-wachtwoord-8")
    world.users["password_changed"].save()


def _client_of(world: World, persona: str, **kwargs) -> Client:
    client = Client(**kwargs)
    if persona in world.extra["session_keys"]:
        client.cookies[settings.SESSION_COOKIE_NAME] = world.extra["session_keys"][persona]
    elif world.users[persona] is not None:
        client.force_login(world.users[persona])
    return client


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker) -> Iterator[World]:
    with django_db_blocker.unblock(), transaction.atomic():
        yield build_matrix_world()
        transaction.set_rollback(True)


def test_every_route_is_in_the_matrix():
    routes = set(named_routes())
    for prefix, matrix in DELEGATED.items():
        source = (ROOT / matrix).read_text()
        delegated = {name for name in routes if name.startswith(prefix)}
        for name in delegated:
            short = name.removeprefix(prefix)
            assert f'"{short}"' in source or f'"{name}"' in source, f"{name} not in {matrix}"
        routes -= delegated
    assert routes - set(ROUTES) == set(), "routes without an entry in the access matrix"
    assert set(ROUTES) - routes == set(), "matrix entries for routes that no longer exist"
    covered = {(name, route.target, method) for name, route, method in CASES}
    assert covered == set(EXPECTED)


def test_the_superuser_gets_exactly_what_the_administrator_gets():
    """Superuser status adds nothing to the platform administrator's role, on any route."""
    admin, superuser = PERSONAS.index("admin"), PERSONAS.index("superuser")
    differ = [key for key, row in EXPECTED.items() if row[admin] != row[superuser]]
    assert differ == []


@pytest.mark.parametrize(
    ("name", "route", "method"),
    CASES,
    ids=[f"{method}-{name}{'-' + route.target if route.target else ''}"
         for name, route, method in CASES],
)  # fmt: skip
def test_access(world, name, route, method):
    url = reverse(name, kwargs=route.kwargs(world))
    expected = EXPECTED[name, route.target, method]
    got = []
    for persona, wanted in zip(PERSONAS, expected, strict=True):
        client = _client_of(world, persona)
        with transaction.atomic():
            before = snapshot() if method == "post" and wanted in "345BL" else None
            response = client.get(url) if method == "get" else client.post(url, route.post(world))
            got.append(outcome(response))
            assert_security_headers(response, f"{method.upper()} {url} as {persona}")
            if response.status_code == 200 and response["Content-Type"].startswith("text/html"):
                # a select's empty choice says what to choose, never Django's "---------"
                assert b"---------" not in response.content, f"{url} as {persona}"
            if before is not None:
                assert snapshot() == before, f"{persona} was refused but something changed"
            transaction.set_rollback(True)
    assert got == expected, f"{method.upper()} {url}: got {got}"


POSTS = [(name, route) for name, route, method in CASES if method == "post"]


@pytest.mark.parametrize(
    ("name", "route"),
    POSTS,
    ids=[f"{name}{'-' + route.target if route.target else ''}" for name, route in POSTS],
)
def test_every_state_changing_request_needs_the_csrf_token(world, name, route):
    """Posted by someone the matrix lets through (or a member), without the token: refused."""
    expected = EXPECTED[name, route.target, "post"]
    allowed = [p for p, wanted in zip(PERSONAS, expected, strict=True) if wanted in "OR"]
    persona = next((p for p in allowed if p != "anonymous"), "member")
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.users[persona])
    with transaction.atomic():
        before = snapshot()
        response = client.post(reverse(name, kwargs=route.kwargs(world)), route.post(world))
        assert response.status_code == 403
        assert snapshot() == before
        transaction.set_rollback(True)
