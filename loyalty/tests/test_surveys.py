"""Campaigns, personal links, the public respondent page, closing the loop, reminders, repeats, exports."""

import csv
import datetime
import io

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone, translation

from clients.models import Complaint, Segment
from clients.services import complaint_advance
from crm_portal.models import Role
from loyalty import services
from loyalty.models import Campaign, Invitation, Response

from .factories import make_client

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_throttle")]


@pytest.fixture
def manager(org_a, make_member):
    return make_member(org_a, Role.MANAGER, username="anna")


@pytest.fixture
def clients(org_a, manager):
    offices = Segment.objects.create(organization=org_a, name="Offices")
    return [
        make_client(org_a, "Alpha LLC", manager=manager, segment=offices, abc_class="A"),
        make_client(org_a, "Beta LLC", manager=manager, abc_class="B"),
        make_client(org_a, "Gamma LLC", abc_class="A", lifecycle_state="lost"),
    ]


def start(org, kind="nps", **kwargs):
    return services.campaign_start(organization=org, kind=kind, name=f"{kind} survey", **kwargs)


def test_campaign_creates_one_unguessable_link_per_target(org_a, clients, manager):
    campaign = start(org_a, abc_class="A")
    links = list(campaign.invitations.order_by("respondent"))
    assert [i.respondent for i in links] == ["Alpha LLC", "Gamma LLC"]
    assert len({i.token for i in links}) == 2 and all(len(i.token) >= 40 for i in links)
    expires = links[0].expires_at - timezone.now()
    assert datetime.timedelta(days=29, hours=23) < expires <= datetime.timedelta(days=30)
    assert [i.respondent for i in start(org_a, manager=manager, lifecycle_state="regular").invitations.all()] == [
        "Alpha LLC",
        "Beta LLC",
    ]
    segment = Segment.objects.get(name="Offices")
    assert [i.respondent for i in start(org_a, segment=segment).invitations.all()] == ["Alpha LLC"]


def test_campaign_without_respondents_is_refused_and_writes_nothing(org_a, clients):
    with pytest.raises(ValidationError, match="Nobody matches"):
        start(org_a, abc_class="C")
    with pytest.raises(ValidationError):
        start(org_a, kind="product")  # the product questionnaire needs a product
    assert Campaign.objects.count() == 0 and Invitation.objects.count() == 0


def test_respondent_answers_once_then_sees_thanks(client, org_a, clients):
    invitation = start(org_a).invitations.get(client=clients[0])
    url = reverse("loyalty:respond", kwargs={"token": invitation.token})
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert "How likely is it that you would recommend us" in page.content.decode()
    answer = client.post(url, {"score": "9", "why": "Always on time"})
    assert answer.status_code == 302 and answer["Location"] == url
    again = client.get(url)
    assert again.status_code == 200 and "Thank you!" in again.content.decode()
    second = client.post(url, {"score": "0", "why": "changed my mind"})
    assert "Thank you!" in second.content.decode()
    response = Response.objects.get()
    assert (response.score, response.comment, response.metric, response.client) == (
        9,
        "Always on time",
        "nps",
        clients[0],
    )
    invitation.refresh_from_db()
    assert invitation.answered_at is not None


def test_respondent_page_follows_the_browser_language(client, org_a, clients):
    invitation = start(org_a).invitations.first()
    page = client.get(reverse("loyalty:respond", kwargs={"token": invitation.token}), HTTP_ACCEPT_LANGUAGE="ru")
    text = page.content.decode()
    assert "Насколько вероятно, что вы посоветуете нас" in text
    assert 'lang="ru"' in text


@pytest.mark.parametrize("bad", ["11", "-1", "seven", "9.5", ""])
def test_answer_outside_the_scale_is_refused(client, org_a, clients, bad):
    invitation = start(org_a).invitations.first()
    page = client.post(reverse("loyalty:respond", kwargs={"token": invitation.token}), {"score": bad})
    assert page.status_code == 400
    text = page.content.decode()
    assert ("Please choose a score." if bad == "" else "Choose a whole number from 0 to 10.") in text
    assert Response.objects.count() == 0
    invitation.refresh_from_db()
    assert invitation.answered_at is None


def test_unknown_expired_and_closed_links_answer_clearly(client, org_a, clients):
    campaign = start(org_a)
    first, second = campaign.invitations.order_by("id")[:2]
    unknown = client.get(reverse("loyalty:respond", kwargs={"token": "no-such-token"}))
    assert unknown.status_code == 404 and "Link not found" in unknown.content.decode()
    Invitation.objects.filter(pk=first.pk).update(expires_at=timezone.now() - datetime.timedelta(minutes=1))
    expired = client.post(reverse("loyalty:respond", kwargs={"token": first.token}), {"score": "5"})
    assert expired.status_code == 410 and "This link has expired" in expired.content.decode()
    services.campaign_close(campaign=campaign)
    closed = client.get(reverse("loyalty:respond", kwargs={"token": second.token}))
    assert closed.status_code == 410 and "This survey is closed" in closed.content.decode()
    assert Response.objects.count() == 0


@override_settings(LOYALTY_SURVEY_THROTTLE="3/60")
def test_a_flood_from_one_address_is_throttled(client, org_a, clients):
    invitation = start(org_a).invitations.first()
    url = reverse("loyalty:respond", kwargs={"token": invitation.token})
    statuses = [client.post(url, {"score": "x"}, REMOTE_ADDR="10.0.0.7").status_code for _ in range(4)]
    assert statuses == [400, 400, 400, 429]
    # Another address is not affected, and guessing tokens counts too.
    assert client.post(url, {"score": "x"}, REMOTE_ADDR="10.0.0.8").status_code == 400
    guesses = [client.get(f"/loyalty/s/guess{i}/", REMOTE_ADDR="10.0.0.9").status_code for i in range(4)]
    assert guesses == [404, 404, 404, 429]


def test_employee_answers_are_anonymous(org_a, make_member, client):
    make_member(org_a, Role.ANALYST)
    make_member(org_a, Role.ADMIN)
    campaign = start(org_a, kind="enps")
    assert campaign.audience == "employees" and campaign.invitations.count() == 2
    invitation = campaign.invitations.first()
    client.post(
        reverse("loyalty:respond", kwargs={"token": invitation.token}),
        {"score": "6", "why": "Too many meetings", "wellbeing": "7", "one_fix": "Fewer meetings"},
    )
    response = Response.objects.get()
    assert (response.invitation, response.client, response.metric, response.score) == (None, None, "enps", 6)
    assert response.answers == {"score": 6, "why": "Too many meetings", "wellbeing": 7, "one_fix": "Fewer meetings"}
    assert Complaint.objects.count() == 0  # a low eNPS is not a client complaint
    assert response.answered_on == campaign.started_on  # no date of its own
    invitation.refresh_from_db()
    used = timezone.localtime(invitation.answered_at)
    assert (used.date(), used.hour, used.minute, used.second) == (timezone.localdate(), 0, 0, 0)


def test_the_staff_survey_page_sums_up_each_question_and_names_nobody(client_as, org_a, make_member, client):
    members = [make_member(org_a, Role.MANAGER, username=f"employee{i}") for i in range(3)]
    campaign = start(org_a, kind="enps")
    answers = [
        {"score": "10", "wellbeing": "8", "processes": "4", "one_fix": "Faster discount approval"},
        {"score": "9", "wellbeing": "6", "processes": "5"},
        {"score": "3", "wellbeing": "4", "processes": "3", "one_fix": "Fewer reports"},
    ]
    for invitation, data in zip(campaign.invitations.order_by("id"), answers, strict=False):
        client.post(reverse("loyalty:respond", kwargs={"token": invitation.token}), data)
    page = client_as(org_a, Role.SALES_HEAD).get(
        reverse("loyalty:campaign_detail", kwargs={"campaign_id": campaign.pk})
    )
    html = page.content.decode()
    assert '<div class="stat-value" id="stat-value">33.3</div>' in html  # (2 promoters - 1 detractor) / 3
    questions = html[html.index('id="campaign-questions"') : html.index("</dl>")]
    assert '<strong class="question-mean">6.0</strong>' in questions  # how one feels: (8 + 6 + 4) / 3
    assert '<strong class="question-mean">4.0</strong>' in questions  # the processes, on the same 0-10 scale
    assert "<li>Faster discount approval</li>" in questions and "<li>Fewer reports</li>" in questions
    answered = html[html.index('id="campaign-answers"') : html.index("</ul>", html.index('id="campaign-answers"'))]
    assert not any(member.username in answered for member in members)


@pytest.mark.parametrize(
    "kind,data,opens",
    [
        ("nps", {"score": "6"}, True),
        ("nps", {"score": "7"}, False),
        ("csat", {"score": "2"}, True),
        ("csat", {"score": "3"}, True),  # hidden dissatisfaction
        ("csat", {"score": "4"}, False),
        ("ideal_service", {"score": "5", "fixing": "3"}, True),
        ("ideal_service", {"score": "4", "fixing": "4"}, False),
    ],
)
def test_low_scores_open_a_case_for_the_clients_manager(org_a, clients, manager, kind, data, opens):
    invitation = start(org_a, kind=kind).invitations.get(client=clients[0])
    response, errors = services.response_submit(token=invitation.token, data={**data, "why": "Late again"})
    assert errors == {}
    complaints = list(Complaint.objects.all())
    if not opens:
        assert complaints == [] and response.complaint is None
        return
    [complaint] = complaints
    assert (complaint.client, complaint.owner, complaint.source) == (clients[0], manager, "survey")
    assert complaint.description == "Late again"
    assert response.complaint == complaint


def test_product_survey_goes_to_the_products_clients(org_a, clients):
    from clients.models import Product

    machines = Product.objects.create(organization=org_a, name="Coffee machines")
    clients[1].products.add(machines)
    with translation.override("en"):
        campaign = start(org_a, kind="product", product=machines)
    assert [i.client for i in campaign.invitations.all()] == [clients[1]]
    invitation = campaign.invitations.get()
    response, _ = services.response_submit(token=invitation.token, data={"score": "4", "delivery": "3"})
    # 4 of 5 overall is not low; delivery 3 is.
    assert response.complaint.subject == "Low score in the survey “product survey”: delivery 3"


@pytest.mark.parametrize("respondent", ["ru", "en"])
@pytest.mark.parametrize(
    ("starter", "subject"),
    [
        ("ru", "Низкий балл в опросе «Квартальный NPS»: 5"),
        ("en", "Low score in the survey “Квартальный NPS”: 5"),
    ],
)
def test_a_low_score_case_subject_is_in_the_language_of_who_started_the_campaign(
    client, org_a, clients, starter, subject, respondent
):
    with translation.override(starter):
        campaign = services.campaign_start(organization=org_a, kind="nps", name="Квартальный NPS")
    invitation = campaign.invitations.get(client=clients[0])
    url = reverse("loyalty:respond", kwargs={"token": invitation.token})
    assert client.post(url, {"score": "5"}, HTTP_ACCEPT_LANGUAGE=respondent).status_code == 302
    assert Complaint.objects.get().subject == subject


def test_a_campaign_from_before_its_language_was_kept_writes_subjects_in_the_default_language(org_a, clients):
    with translation.override("ru"):
        campaign = services.campaign_start(organization=org_a, kind="nps", name="Spring NPS")
    Campaign.objects.filter(pk=campaign.pk).update(language="")
    response, _ = services.response_submit(token=campaign.invitations.get(client=clients[0]).token, data={"score": "2"})
    assert response.complaint.subject == "Low score in the survey “Spring NPS”: 2"


def test_a_long_campaign_name_still_fits_the_case_subject(org_a, clients):
    name = "Удовлетворённость " * 11  # 198 characters
    with translation.override("ru"):
        campaign = services.campaign_start(organization=org_a, kind="nps", name=name)
    response, _ = services.response_submit(token=campaign.invitations.get(client=clients[0]).token, data={"score": "0"})
    # 200 characters: the 26 of the sentence, the name cut to 173 and its ellipsis.
    assert response.complaint.subject == "Низкий балл в опросе «" + name[:173].rstrip() + "…»: 0"
    assert len(response.complaint.subject) == 200


@pytest.mark.django_db(transaction=True)
def test_closing_a_complaint_sends_the_client_a_short_csat(org_a, clients, manager):
    invitation = start(org_a).invitations.get(client=clients[0])
    response, _ = services.response_submit(token=invitation.token, data={"score": "2"})
    complaint = response.complaint
    complaint_advance(complaint=complaint, cause="Late truck")
    complaint_advance(complaint=complaint, actions="New carrier")
    complaint_advance(complaint=complaint, actions="Route checks")
    assert not Campaign.objects.filter(complaint=complaint).exists()
    complaint_advance(complaint=complaint)  # closed: the signal fires after the commit
    followup = Campaign.objects.get(complaint=complaint)
    assert (followup.kind, followup.trigger) == ("csat", "complaint")
    assert [i.client for i in followup.invitations.all()] == [clients[0]]
    assert services.complaint_followup_start(complaint=complaint) is None  # only once


def test_reminders_mark_only_due_non_respondents(org_a, clients):
    campaign = start(org_a, reminder_after_days=7)
    a, b, c = campaign.invitations.order_by("respondent")
    eight_days_ago = timezone.now() - datetime.timedelta(days=8)
    Invitation.objects.filter(pk__in=[a.pk, b.pk, c.pk]).update(created_at=eight_days_ago)
    services.response_submit(token=b.token, data={"score": "10"})
    Invitation.objects.filter(pk=c.pk).update(expires_at=timezone.now() - datetime.timedelta(hours=1))
    assert services.invitations_remind(campaign=campaign) == 1
    assert list(Invitation.objects.filter(reminded_at__isnull=False)) == [a]
    assert services.invitations_remind(campaign=campaign) == 0  # once per link


def test_recurring_campaign_starts_its_next_round_when_due(org_a, clients):
    with translation.override("ru"):
        first = start(org_a, recurrence_months=3, started_on=datetime.date(2026, 1, 31))
    assert first.next_run_on == datetime.date(2026, 4, 30)
    assert services.campaigns_repeat_due(organization=org_a, today=datetime.date(2026, 4, 29)) == []
    with translation.override("en"):  # the daily schedule's language is not the series'
        [second] = services.campaigns_repeat_due(organization=org_a, today=datetime.date(2026, 4, 30))
    assert (second.round_number, second.series, second.trigger, second.language) == (2, first, "recurrence", "ru")
    assert second.next_run_on == datetime.date(2026, 7, 30)
    assert second.invitations.count() == 3
    first.refresh_from_db()
    assert first.next_run_on is None
    assert services.campaigns_repeat_due(organization=org_a, today=datetime.date(2026, 5, 1)) == []


def test_links_export_neutralises_formulas(client_as, org_a, clients):
    clients[0].name = '=HYPERLINK("http://evil")'
    clients[0].save()
    campaign = start(org_a)
    web = client_as(org_a, Role.ANALYST)
    url = reverse("loyalty:campaign_links", kwargs={"campaign_id": campaign.pk})
    rows = list(csv.reader(io.StringIO(web.get(url + "?format=csv").content.decode("utf-8-sig"))))
    assert rows[0] == ["Respondent", "E-mail", "Personal link", "Valid until", "Status", "Reminder due"]
    assert [r[0] for r in rows[1:]] == ['\'=HYPERLINK("http://evil")', "Beta LLC", "Gamma LLC"]
    tokens = {i.respondent: i.token for i in campaign.invitations.all()}
    assert rows[2][2] == "http://testserver/loyalty/s/" + tokens["Beta LLC"] + "/"
    assert rows[2][4] == "waiting"
    book = openpyxl.load_workbook(io.BytesIO(web.get(url + "?format=xlsx").content))
    sheet = book.active
    assert [c.value for c in sheet[2]][:1] == ['=HYPERLINK("http://evil")'] and sheet["A2"].quotePrefix
    assert sheet.max_row == 4
    services.response_submit(token=tokens["Beta LLC"], data={"score": "8"})
    pending = list(csv.reader(io.StringIO(web.get(url + "?format=csv&pending=1").content.decode("utf-8-sig"))))
    assert [r[0] for r in pending[1:]] == ['\'=HYPERLINK("http://evil")', "Gamma LLC"]


def test_campaign_form_shows_errors_and_writes_nothing(client_as, org_a, clients):
    web = client_as(org_a, Role.ANALYST)
    page = web.post(
        reverse("loyalty:campaign_new"),
        {
            "name": "Products",
            "kind": "product",
            "valid_days": "30",
            "reminder_after_days": "7",
            "recurrence_months": "0",
        },
    )
    assert page.status_code == 200
    assert "Choose the product the questionnaire asks about." in page.content.decode()
    page = web.post(
        reverse("loyalty:campaign_new"),
        {"name": "NPS", "kind": "nps", "valid_days": "0", "reminder_after_days": "7", "recurrence_months": "5"},
    )
    assert "form-control is-invalid" in page.content.decode() or "invalid-feedback" in page.content.decode()
    assert Campaign.objects.count() == 0
    ok = web.post(
        reverse("loyalty:campaign_new"),
        {"name": "NPS", "kind": "nps", "valid_days": "30", "reminder_after_days": "7", "recurrence_months": "3"},
    )
    campaign = Campaign.objects.get()
    assert ok["Location"] == reverse("loyalty:campaign_detail", kwargs={"campaign_id": campaign.pk})
    assert campaign.invitations.count() == 3
    detail = web.get(ok["Location"]).content.decode()
    assert 'id="stat-sent">3<' in detail


def test_managers_do_not_run_campaigns(client_as, org_a):
    web = client_as(org_a, Role.MANAGER)
    assert web.get(reverse("loyalty:campaign_list")).status_code == 403
    assert web.get(reverse("loyalty:overview")).status_code == 200


def test_daily_round_repeats_and_reminds_in_every_organization(org_a, clients):
    from clients.lifecycle import months_before
    from loyalty.tasks import daily_task

    today = timezone.localdate()
    start(org_a, recurrence_months=3, started_on=months_before(today, 3), reminder_after_days=0)
    reminded = start(org_a, kind="csat", reminder_after_days=2)
    Invitation.objects.filter(campaign=reminded).update(created_at=timezone.now() - datetime.timedelta(days=3))
    # Reminders are marked, but no client has an e-mail: no reminder job to queue.
    # Every client was asked about satisfaction (the CSAT): none is due for the yearly round.
    quiet = {"first_sale_surveys": 0, "yearly_surveyed": 0, "reminder_jobs": 0}
    assert daily_task() == {"repeated": 1, "reminded": 3, **quiet}
    assert Campaign.objects.filter(round_number=2, kind="nps").count() == 1
    assert daily_task() == {"repeated": 0, "reminded": 0, **quiet}


@pytest.mark.parametrize(
    "token", ["abc%00def", "x" * 300, "%D0%BF%D1%80%D0%B8%D0%B2%D0%B5%D1%82", "'; DROP TABLE x; --"]
)
def test_odd_tokens_answer_404_never_500(client, org_a, token):
    assert client.get(f"/loyalty/s/{token}/").status_code == 404
    assert client.post(f"/loyalty/s/{token}/", {"score": "5"}).status_code == 404


def test_a_comment_with_control_characters_is_stored_clean(client, org_a, clients):
    invitation = start(org_a).invitations.first()
    url = reverse("loyalty:respond", kwargs={"token": invitation.token})
    assert client.post(url, {"score": "8\x00", "why": "ok"}).status_code == 400
    assert client.post(url, {"score": "8", "why": "fine\x00 ok"}).status_code == 302
    assert Response.objects.get().comment == "fine ok"


@pytest.mark.parametrize(
    "language,message",
    [
        ("en", "Please shorten your answer to at most 2,000 characters."),
        ("ru", "Пожалуйста, сократите ответ до 2\xa0000 символов."),
    ],
)
def test_a_comment_over_2000_characters_is_refused_and_nothing_is_written(client, org_a, clients, language, message):
    invitation = start(org_a).invitations.get(client=clients[0])
    url = reverse("loyalty:respond", kwargs={"token": invitation.token})
    page = client.post(url, {"score": "3", "why": "x" * 2001}, HTTP_ACCEPT_LANGUAGE=language)
    assert page.status_code == 400
    text = page.content.decode()
    assert message in text and 'id="respond-errors"' in text
    assert 'maxlength="2000"' in text
    assert Response.objects.count() == 0 and Complaint.objects.count() == 0
    invitation.refresh_from_db()
    assert invitation.answered_at is None
    # Exactly 2000 characters is accepted, whole.
    assert client.post(url, {"score": "3", "why": "y" * 2000}).status_code == 302
    assert len(Response.objects.get().comment) == 2000
    assert len(Complaint.objects.get().description) == 2000


def test_long_comments_are_shortened_in_the_overview(client_as, org_a, clients):
    invitation = start(org_a).invitations.get(client=clients[0])
    services.response_submit(token=invitation.token, data={"score": "9", "why": "z" * 2000})
    page = client_as(org_a, Role.SALES_HEAD).get(reverse("loyalty:overview")).content.decode()
    assert "“" + "z" * 299 + "…”" in page and "z" * 300 not in page
