"""Assessments, reports, actions, comparison, export and the map editors through HTTP."""

import datetime
import io
import re

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from crm_portal.models import Role
from diagnostics import services
from diagnostics.loader import load
from diagnostics.models import (
    Action,
    AidaAction,
    AidaMap,
    Answer,
    Assessment,
    Instrument,
    InstrumentVersion,
    JourneyMap,
)

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def manager(org_a, make_member):
    return make_member(org_a, Role.MANAGER)


@pytest.fixture
def audit(manager, org_a):
    return services.assessment_start(
        organization=org_a, author=manager, instrument=Instrument.objects.get(code="controllability")
    )


def _answer(client, assessment, item, value, **extra):
    data = {
        "item": item,
        "value": value,
        "comment": extra.pop("comment", ""),
        "version": extra.pop("version", assessment.version.content_hash),
    }
    return client.post(reverse("diagnostics:answer", kwargs={"assessment_id": assessment.pk}), data, **extra, **HTMX)


def _fill_all(assessment, user, value="+"):
    for section in assessment.version.definition["sections"]:
        for item in section["items"]:
            services.answer_save(
                assessment=assessment,
                user=user,
                item_key=item["key"],
                raw_value=value,
                comment="",
                version_hash=assessment.version.content_hash,
            )


def test_migration_loaded_every_instrument_once():
    assert Instrument.objects.count() == 10
    assert InstrumentVersion.objects.filter(number=1).count() == 10


@pytest.mark.parametrize(("role", "offered"), [(Role.SALES_HEAD, True), (Role.ANALYST, True), (Role.MANAGER, False)])
def test_the_employee_survey_is_no_signed_assessment_but_an_anonymous_survey(client, org_a, make_member, role, offered):
    assert not Instrument.objects.filter(code="employee_survey").exists()
    client.force_login(make_member(org_a, role))
    page = client.get(reverse("diagnostics:index")).content.decode()
    row = page[page.index('<tr id="employee-survey">') : page.index("</tr>", page.index('id="employee-survey"'))]
    link = f'href="{reverse("loyalty:campaign_new")}?kind=enps"'
    assert (link in row) is offered
    if offered:
        form = client.get(reverse("loyalty:campaign_new") + "?kind=enps").content.decode()
        assert '<option value="enps" selected>' in form


def test_start_and_autosave_an_answer_with_comment(client, manager, org_a):
    client.force_login(manager)
    response = client.post(reverse("diagnostics:start"), {"instrument": "controllability"})
    assessment = Assessment.objects.get()
    assert response.url == reverse("diagnostics:fill", kwargs={"assessment_id": assessment.pk})
    response = _answer(client, assessment, "funnel", "+-", comment="Only in Excel")
    assert response.status_code == 200
    assert "Saved" in response.content.decode() and "1 of 30 answered" in response.content.decode()
    answer = Answer.objects.get()
    assert (answer.item_key, answer.value, answer.comment, answer.organization) == (
        "funnel",
        "+-",
        "Only in Excel",
        org_a,
    )
    page = client.get(reverse("diagnostics:fill", kwargs={"assessment_id": assessment.pk})).content.decode()
    assert 'value="+-" id="funnel-2" autocomplete="off" checked' in page
    assert "Only in Excel" in page


@pytest.mark.parametrize(
    ("item", "value", "message"),
    [
        ("funnel", "yes", "This answer is not one of the item&#x27;s options."),
        ("funnel", "++", "This answer is not one of the item&#x27;s options."),
        ("nonexistent", "+", "This question is not part of the questionnaire."),
    ],
)
def test_answer_outside_the_scale_changes_nothing(client, manager, audit, item, value, message):
    client.force_login(manager)
    _answer(client, audit, "funnel", "+")
    response = _answer(client, audit, item, value)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert list(Answer.objects.values_list("item_key", "value")) == [("funnel", "+")]


def test_scale_answer_outside_the_range_is_refused(client, org_a, make_member):
    user = make_member(org_a, Role.MANAGER)
    survey = services.assessment_start(organization=org_a, author=user, instrument=_every_type_instrument())
    client.force_login(user)
    response = _answer(client, survey, "q_scale_0_10", "11")
    assert "The answer is outside the item&#x27;s scale." in response.content.decode()
    assert not Answer.objects.exists()
    _answer(client, survey, "q_scale_0_10", "10")
    assert Answer.objects.get().value == 10


def test_stale_form_after_the_instrument_changed_is_refused(client, manager, audit):
    client.force_login(manager)
    response = _answer(client, audit, "funnel", "+", version="0" * 64)
    assert "belongs to another version of the questionnaire" in response.content.decode()
    assert not Answer.objects.exists()
    response = client.post(
        reverse("diagnostics:answer", kwargs={"assessment_id": audit.pk}),
        {"item": "funnel", "value": "+", "version": "stale"},
        follow=True,
    )
    assert "belongs to another version of the questionnaire" in response.content.decode()
    assert not Answer.objects.exists()


def test_a_changed_file_makes_a_new_version_and_old_assessments_keep_theirs(audit, manager):
    version = audit.version
    changed = dict(version.definition, description={"en": "New words", "ru": "Новые слова"})
    assert load(Instrument, InstrumentVersion, [changed]) == [("controllability", 2, True)]
    assert load(Instrument, InstrumentVersion, [changed]) == [("controllability", 2, False)]
    audit.refresh_from_db()
    assert audit.version == version
    newer = services.assessment_start(organization=audit.organization, author=manager, instrument=version.instrument)
    assert newer.version.number == 2


def test_completing_needs_every_answer_and_then_locks(client, manager, audit):
    client.force_login(manager)
    _answer(client, audit, "funnel", "+")
    response = client.post(reverse("diagnostics:complete", kwargs={"assessment_id": audit.pk}), follow=True)
    assert "29 questions are still unanswered" in response.content.decode()
    audit.refresh_from_db()
    assert audit.status == Assessment.Status.DRAFT
    _fill_all(audit, manager)
    client.post(reverse("diagnostics:complete", kwargs={"assessment_id": audit.pk}))
    audit.refresh_from_db()
    assert audit.status == Assessment.Status.COMPLETED and audit.completed_at is not None
    response = _answer(client, audit, "funnel", "-")
    assert "completed and locked" in response.content.decode()
    assert Answer.objects.get(item_key="funnel").value == "+"


def test_managers_see_their_own_and_completed_heads_see_all(client, org_a, make_member, audit):
    colleague = make_member(org_a, Role.MANAGER)
    head = make_member(org_a, Role.SALES_HEAD)
    url = reverse("diagnostics:report", kwargs={"assessment_id": audit.pk})
    client.force_login(colleague)
    assert client.get(url).status_code == 404
    assert client.get(reverse("diagnostics:fill", kwargs={"assessment_id": audit.pk})).status_code == 404
    client.force_login(head)
    assert client.get(url).status_code == 200
    _fill_all(audit, audit.author)
    services.assessment_complete(assessment=audit, user=audit.author)
    client.force_login(colleague)
    assert client.get(url).status_code == 200
    response = _answer(client, audit, "funnel", "-")
    assert "completed and locked" in response.content.decode()


def test_report_heatmap_agenda_and_action_on_the_owners_list(client, org_a, manager, audit, make_member):
    _fill_all(audit, manager)
    services.answer_save(
        assessment=audit,
        user=manager,
        item_key="complaints",
        raw_value="-",
        comment="",
        version_hash=audit.version.content_hash,
    )
    services.answer_save(
        assessment=audit,
        user=manager,
        item_key="funnel",
        raw_value="+-",
        comment="",
        version_hash=audit.version.content_hash,
    )
    services.assessment_complete(assessment=audit, user=manager)
    head = make_member(org_a, Role.SALES_HEAD)
    client.force_login(head)
    page = client.get(reverse("diagnostics:report", kwargs={"assessment_id": audit.pk})).content.decode()
    assert '"kind": "heatmap"' in page
    assert page.count('class="list-group-item agenda-item"') == 2
    assert "plotly/plotly.min.js" in page
    due = datetime.date.today() + datetime.timedelta(days=14)
    url = reverse("diagnostics:action_create", kwargs={"assessment_id": audit.pk})
    client.post(
        url,
        {
            "item_key": "complaints",
            "title": "One complaint procedure",
            "owner": manager.pk,
            "due_date": due.isoformat(),
        },
    )
    action = Action.objects.get()
    assert (action.owner, action.due_date, action.item_key, action.created_by) == (manager, due, "complaints", head)
    client.force_login(manager)
    mine = client.get(reverse("diagnostics:actions")).content.decode()
    assert "One complaint procedure" in mine
    assert "One complaint procedure" in client.get(reverse("home")).content.decode()


def test_action_with_a_stranger_owner_or_no_date_writes_nothing(client, org_a, org_b, manager, audit, make_member):
    stranger = make_member(org_b, Role.MANAGER)
    client.force_login(manager)
    url = reverse("diagnostics:action_create", kwargs={"assessment_id": audit.pk})
    response = client.post(
        url, {"item_key": "funnel", "title": "X", "owner": stranger.pk, "due_date": "2030-01-01"}, follow=True
    )
    assert (
        "The action was not saved. Owner: select a valid choice. That choice is not one of the available choices."
    ) in response.content.decode()
    response = client.post(
        url, {"item_key": "funnel", "title": "X", "owner": manager.pk, "due_date": "soon"}, follow=True
    )
    assert "The action was not saved. Due date: enter a valid date." in response.content.decode()
    assert not Action.objects.exists()


@pytest.mark.parametrize(
    ("language", "date_only", "title_and_date"),
    [
        (
            "en",
            "The action was not saved. Due date: this field is required.",
            "The action was not saved. Action: this field is required. Due date: this field is required.",
        ),
        (
            "ru",
            "Действие не сохранено. Срок: обязательное поле.",
            "Действие не сохранено. Действие: обязательное поле. Срок: обязательное поле.",
        ),
    ],
)
def test_an_action_without_a_date_names_the_field_in_a_readable_sentence(
    client, manager, audit, language, date_only, title_and_date
):
    client.force_login(manager)
    url = reverse("diagnostics:action_create", kwargs={"assessment_id": audit.pk})
    response = client.post(
        url,
        {"item_key": "funnel", "title": "Plan", "owner": manager.pk, "due_date": ""},
        follow=True,
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert f"\n    {date_only}\n" in response.content.decode()  # the whole message, nothing more
    response = client.post(
        url,
        {"item_key": "funnel", "title": "", "owner": manager.pk, "due_date": ""},
        follow=True,
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert title_and_date in response.content.decode()
    assert not Action.objects.exists()


def test_comparison_shows_what_improved_and_what_got_worse(client, org_a, manager, make_member):
    instrument = Instrument.objects.get(code="goulding")
    first = services.assessment_start(organization=org_a, author=manager, instrument=instrument)
    _fill_all(first, manager, "no")
    services.answer_save(
        assessment=first,
        user=manager,
        item_key="ambassadors",
        raw_value="yes",
        comment="",
        version_hash=first.version.content_hash,
    )
    services.assessment_complete(assessment=first, user=manager)
    second = services.assessment_start(organization=org_a, author=manager, instrument=instrument)
    _fill_all(second, manager, "no")
    for key in ("know_clients", "know_needs", "roles_known"):
        services.answer_save(
            assessment=second,
            user=manager,
            item_key=key,
            raw_value="yes",
            comment="",
            version_hash=second.version.content_hash,
        )
    services.assessment_complete(assessment=second, user=manager)
    client.force_login(make_member(org_a, Role.SALES_HEAD))
    url = reverse("diagnostics:compare", kwargs={"assessment_id": second.pk})
    page = client.get(url, {"with": first.pk}).content.decode()
    assert "What improved (3)" in page and "What got worse (1)" in page
    assert "11.1% → 33.3% (+22.2)" in page
    assert client.get(url, {"with": "abc"}).status_code == 404
    russian = client.get(url, {"with": first.pk}, HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert (
        '<th>Раздел</th><th class="text-end">Было</th><th class="text-end">Стало</th>'
        '<th class="text-end">Изменение</th>'
    ) in russian
    assert "Изменить" not in russian


def test_export_neutralises_formula_like_text_and_keeps_numbers(client, manager, audit):
    _fill_all(audit, manager, "-")
    services.answer_save(
        assessment=audit,
        user=manager,
        item_key="funnel",
        raw_value="+",
        comment="=HYPERLINK(1)",
        version_hash=audit.version.content_hash,
    )
    client.force_login(manager)
    response = client.get(reverse("diagnostics:export", kwargs={"assessment_id": audit.pk}))
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    rows = list(book["Answers"].iter_rows(values_only=True))
    funnel = next(r for r in rows if r[1] == "The sales funnel.")
    assert funnel[2] == "+" and funnel[3] == 1 and funnel[4] == "=HYPERLINK(1)"
    other = next(r for r in rows if r[1] == "Sales per product.")
    assert other[2] == "-" and other[3] == 0
    scores = list(book["Scores"].iter_rows(values_only=True))
    assert scores[-5][0] == "Overall" and scores[-5][1] == pytest.approx(1 / 30, abs=0.0005)


def test_print_view_shows_the_strategy_text(client, org_a, manager):
    strategy = services.assessment_start(
        organization=org_a, author=manager, instrument=Instrument.objects.get(code="mission_strategy")
    )
    services.answer_save(
        assessment=strategy,
        user=manager,
        item_key="mission",
        raw_value="We keep shops supplied",
        comment="",
        version_hash=strategy.version.content_hash,
    )
    client.force_login(manager)
    page = client.get(reverse("diagnostics:print", kwargs={"assessment_id": strategy.pk})).content.decode()
    assert "We keep shops supplied" in page and 'id="mainnav"' not in page


def test_russian_pages_show_russian_questions(client, manager, audit):
    client.force_login(manager)
    page = client.get(
        reverse("diagnostics:fill", kwargs={"assessment_id": audit.pk}), HTTP_ACCEPT_LANGUAGE="ru"
    ).content.decode()
    assert "Воронка продаж." in page and "Основные характеристики" in page
    assert "The sales funnel." not in page


def test_journey_map_editor(client, org_a, manager):
    client.force_login(manager)
    client.post(reverse("diagnostics:journey_maps"), {"title": "Wholesale", "persona": "Buyer"})
    journey_map = JourneyMap.objects.get()
    url = reverse("diagnostics:journey_map", kwargs={"journey_map_id": journey_map.pk})
    base = {
        "stage": "discovery",
        "channel": "Web",
        "client_action": "Looks",
        "pains": "Slow site\nNo prices",
        "owner": "Marketing",
        "ideas": "",
    }
    client.post(url, {**base, "name": "First", "emotion": "-1"})
    client.post(url, {**base, "name": "Second", "emotion": "2", "stage": "purchase", "pains": ""})
    response = client.post(url, {**base, "name": "Bad", "emotion": "3"})
    assert "Select a valid choice." in response.content.decode()
    assert list(journey_map.touchpoints.values_list("name", "position")) == [("First", 0), ("Second", 1)]
    second = journey_map.touchpoints.get(name="Second")
    client.post(reverse("diagnostics:touchpoint_move", kwargs={"touchpoint_id": second.pk}), {"direction": "up"})
    assert list(journey_map.touchpoints.values_list("name", flat=True)) == ["Second", "First"]
    page = client.get(url).content.decode()
    assert '"values": [2, -1]' in page and "Slow site" in page
    client.post(reverse("diagnostics:journey_map_copy", kwargs={"journey_map_id": journey_map.pk}))
    copy = JourneyMap.objects.get(version=2)
    assert copy.copied_from == journey_map and copy.touchpoints.count() == 2
    assert journey_map.touchpoints.count() == 2


def test_aida_editor_highlights_empty_cells_and_differences(client, org_a, manager):
    client.force_login(manager)
    response = client.post(reverse("diagnostics:aida_maps"), {"title": "2027", "personas": "Retail\nretail"})
    assert "Each persona must have its own name." in response.content.decode()
    client.post(reverse("diagnostics:aida_maps"), {"title": "2027", "personas": "Retail\nShops"})
    aida_map = AidaMap.objects.get()
    retail, shops = aida_map.personas.order_by("id")
    url = reverse("diagnostics:aida_action_add", kwargs={"aida_map_id": aida_map.pk})
    client.post(
        url,
        {
            "persona": retail.pk,
            "stage": "awareness",
            "description": "Trade fair",
            "owner": "Marketing",
            "channel": "Fair",
        },
    )
    response = client.post(
        url, {"persona": shops.pk, "stage": "nowhere", "description": "X", "owner": "Y", "channel": "Z"}
    )
    assert "Select a valid choice." in response.content.decode()
    assert AidaAction.objects.count() == 1
    page = client.get(reverse("diagnostics:aida_map", kwargs={"aida_map_id": aida_map.pk})).content.decode()
    assert page.count("aida-cell aida-empty") == 9
    assert "9 empty cells" in page
    assert "worked on: Retail; not worked on: Shops" in page


def test_aida_differences_name_personas_in_the_nominative_in_russian(client, org_a, manager):
    client.force_login(manager)
    client.post(reverse("diagnostics:aida_maps"), {"title": "2027", "personas": "Владелец кофейни\nРозница"})
    aida_map = AidaMap.objects.get()
    owner = aida_map.personas.get(name="Владелец кофейни")
    client.post(
        reverse("diagnostics:aida_action_add", kwargs={"aida_map_id": aida_map.pk}),
        {
            "persona": owner.pk,
            "stage": "awareness",
            "description": "Ярмарка",
            "owner": "Маркетинг",
            "channel": "Ярмарка",
        },
    )
    page = client.get(
        reverse("diagnostics:aida_map", kwargs={"aida_map_id": aida_map.pk}), HTTP_ACCEPT_LANGUAGE="ru"
    ).content.decode()
    assert "работа ведётся: Владелец кофейни; не ведётся: Розница" in page
    assert "для Владелец" not in page


@pytest.mark.parametrize(
    "code",
    [
        "client_work",
        "crm_strategy",
        "mystery_shopper",
        "controllability",
        "service_level",
        "cx_understanding",
        "goulding",
        "mission_strategy",
        "service_excellence",
        "customer_orientation",
    ],
)
def test_every_instrument_fills_reports_and_exports_in_both_languages(client, org_a, manager, code):
    from diagnostics.definition import iter_items
    from diagnostics.demo import _value

    assessment = services.assessment_start(
        organization=org_a, author=manager, instrument=Instrument.objects.get(code=code)
    )
    client.force_login(manager)
    for index, (_, item) in enumerate(iter_items(assessment.version.definition)):
        value = _value(item, index, later=True)
        response = _answer(client, assessment, item["key"], value if isinstance(value, list) else [str(value)][0])
        assert "Saved" in response.content.decode(), (item["key"], response.content.decode())
    client.post(reverse("diagnostics:complete", kwargs={"assessment_id": assessment.pk}))
    assessment.refresh_from_db()
    assert assessment.is_completed
    for language, title in (
        ("en", assessment.version.definition["title"]["en"]),
        ("ru", assessment.version.definition["title"]["ru"]),
    ):
        for name in ("report", "print", "compare"):
            response = client.get(
                reverse(f"diagnostics:{name}", kwargs={"assessment_id": assessment.pk}), HTTP_ACCEPT_LANGUAGE=language
            )
            assert response.status_code == 200 and escape(title) in response.content.decode(), (name, language)
    response = client.get(reverse("diagnostics:export", kwargs={"assessment_id": assessment.pk}))
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")


def test_demo_seed_is_idempotent_and_fills_every_model(django_user_model):
    from django.core.management import call_command

    from diagnostics.models import AidaPersona, Touchpoint

    call_command("seed_demo", small=True, verbosity=0)
    call_command("seed_demo", small=True, verbosity=0)
    for slug in ("demo", "other"):
        for model in (Assessment, Answer, Action, JourneyMap, Touchpoint, AidaMap, AidaPersona, AidaAction):
            assert model.objects.filter(organization__slug=slug).exists(), (model, slug)
    assert Assessment.objects.filter(organization__slug="demo").count() == 2
    assert JourneyMap.objects.filter(organization__slug="demo").count() == 1


def test_instrument_page_lists_versions_and_questions(client, manager, audit):
    version = audit.version
    changed = dict(version.definition, description={"en": "Second wording", "ru": "Вторая редакция"})
    load(Instrument, InstrumentVersion, [changed])
    client.force_login(manager)
    url = reverse("diagnostics:instrument", kwargs={"code": "controllability"})
    page = client.get(url).content.decode()
    assert "v2" in page and "Second wording" in page and page.count("<li>") >= 30
    first = client.get(url, {"version": "1"}).content.decode()
    assert "Second wording" not in first
    assert client.get(url, {"version": "9"}).status_code == 404
    assert client.get(reverse("diagnostics:instrument", kwargs={"code": "nothing"})).status_code == 404


def test_answer_meanings_are_shown_in_scale_order(client, manager, audit):
    client.force_login(manager)
    page = client.get(reverse("diagnostics:fill", kwargs={"assessment_id": audit.pk})).content.decode()
    plus = page.index("A managed process")
    partly = page.index("The process or its reporting is hard to use")
    minus = page.index("No managed process")
    assert plus < partly < minus


def test_owner_marks_an_action_done_and_others_cannot(client, org_a, manager, audit, make_member):
    action = services.action_create(
        assessment=audit,
        item_key="funnel",
        title="Build the funnel report",
        owner=manager,
        due_date=datetime.date(2030, 1, 1),
        created_by=manager,
    )
    colleague = make_member(org_a, Role.MANAGER)
    url = reverse("diagnostics:action_status", kwargs={"action_id": action.pk})
    client.force_login(colleague)
    response = client.post(url, {"status": "done"}, follow=True)
    assert "Only the owner can change this action." in response.content.decode()
    action.refresh_from_db()
    assert action.status == "open"
    client.force_login(manager)
    response = client.post(url, {"status": "finished"}, follow=True)
    assert "Unknown status." in response.content.decode()
    client.post(url, {"status": "done"})
    action.refresh_from_db()
    assert action.status == "done"


def test_a_closing_tab_beacon_saves_quietly(client, manager, audit):
    client.force_login(manager)
    url = reverse("diagnostics:answer", kwargs={"assessment_id": audit.pk})
    response = client.post(
        url,
        {"item": "funnel", "value": "-", "comment": "typed last", "beacon": "1", "version": audit.version.content_hash},
    )
    assert response.status_code == 204
    assert Answer.objects.get().comment == "typed last"
    page = client.get(reverse("diagnostics:fill", kwargs={"assessment_id": audit.pk})).content.decode()
    assert "Answer saved." not in page


def _every_type_instrument():
    def text(word):
        return {"en": word, "ru": word + " (ru)"}

    items = [
        {"key": f"q_{kind}", "type": kind, "text": text(kind)}
        for kind in (
            "yes_partly_no",
            "plus_minus",
            "pass_fail",
            "yes_no",
            "scale_0_10",
            "scale_1_5",
            "scale_1_7",
            "text",
            "number",
        )
    ]
    options = [{"value": "a", "text": text("A"), "points": 1}, {"value": "b", "text": text("B"), "points": 0}]
    items.append({"key": "q_single", "type": "single", "text": text("single"), "options": options})
    items.append(
        {
            "key": "q_multiple",
            "type": "multiple",
            "text": text("multiple"),
            "options": [{"value": "x", "text": text("X")}, {"value": "y", "text": text("Y")}],
        }
    )
    definition = {
        "code": "every_type",
        "source": "test",
        "title": text("Every type"),
        "description": text("All"),
        "source_idea": text("Idea"),
        "scoring": {"rule": "mean"},
        "chart": "bars",
        "sections": [{"key": "all", "title": text("All"), "items": items}],
    }
    load(Instrument, InstrumentVersion, [definition])
    return Instrument.objects.get(code="every_type")


GOOD = {
    "q_yes_partly_no": ["partly"],
    "q_plus_minus": ["+-"],
    "q_pass_fail": ["pass"],
    "q_yes_no": ["no"],
    "q_scale_0_10": ["10"],
    "q_scale_1_5": ["1"],
    "q_scale_1_7": ["4"],
    "q_text": ["free words"],
    "q_number": ["12.5"],
    "q_single": ["a"],
    "q_multiple": ["y", "x"],
}
BAD = {
    "q_yes_partly_no": ["maybe"],
    "q_plus_minus": ["+/-"],
    "q_pass_fail": ["yes"],
    "q_yes_no": ["+"],
    "q_scale_0_10": ["10.5"],
    "q_scale_1_5": ["6"],
    "q_scale_1_7": ["0"],
    "q_number": ["twelve"],
    "q_single": ["c"],
    "q_multiple": ["x", "z"],
}


def test_every_answer_type_through_the_form(client, org_a, manager):
    instrument = _every_type_instrument()
    assessment = services.assessment_start(organization=org_a, author=manager, instrument=instrument)
    client.force_login(manager)
    page = client.get(reverse("diagnostics:fill", kwargs={"assessment_id": assessment.pk})).content.decode()
    assert page.count('class="item-form') == 11 and 'type="checkbox"' in page
    url = reverse("diagnostics:answer", kwargs={"assessment_id": assessment.pk})
    for key, values in BAD.items():
        response = client.post(url, {"item": key, "value": values, "version": assessment.version.content_hash}, **HTMX)
        assert 'class="text-danger item-error"' in response.content.decode(), key
    assert not Answer.objects.exists()
    for key, values in GOOD.items():
        response = client.post(url, {"item": key, "value": values, "version": assessment.version.content_hash}, **HTMX)
        assert "item-saved" in response.content.decode(), key
    stored = dict(Answer.objects.values_list("item_key", "value"))
    assert stored == {
        "q_yes_partly_no": "partly",
        "q_plus_minus": "+-",
        "q_pass_fail": "pass",
        "q_yes_no": "no",
        "q_scale_0_10": 10,
        "q_scale_1_5": 1,
        "q_scale_1_7": 4,
        "q_text": "free words",
        "q_number": 12.5,
        "q_single": "a",
        "q_multiple": ["x", "y"],
    }
    services.assessment_complete(assessment=assessment, user=manager)
    page = client.get(reverse("diagnostics:report", kwargs={"assessment_id": assessment.pk})).content.decode()
    # partly .5, +- .5, pass 1, no 0, 10/10 1, 1 of 1-5 0, 4 of 1-7 .5, single a 1: 4.5 / 8
    assert '<div class="stat-value" id="overall-score">56.2%</div>' in page
    assert "X, Y" in page


def test_export_writes_scale_answers_as_numbers(client, org_a, manager):
    survey = services.assessment_start(organization=org_a, author=manager, instrument=_every_type_instrument())
    for key, value in (("q_scale_0_10", "9"), ("q_text", "-faster approvals")):
        services.answer_save(
            assessment=survey,
            user=manager,
            item_key=key,
            raw_value=value,
            comment="",
            version_hash=survey.version.content_hash,
        )
    client.force_login(manager)
    response = client.get(reverse("diagnostics:export", kwargs={"assessment_id": survey.pk}))
    rows = {
        row[1]: row
        for row in openpyxl.load_workbook(io.BytesIO(response.content))["Answers"].iter_rows(values_only=True)
    }
    assert rows["scale_0_10"][2] == 9 and rows["scale_0_10"][3] == 0.9
    assert rows["text"][2] == "-faster approvals"


def test_load_instruments_command_reports_versions_and_creates_none_for_unchanged_files():
    from django.core.management import call_command

    out = io.StringIO()
    call_command("load_instruments", stdout=out)
    lines = out.getvalue().splitlines()
    assert len(lines) == 10 and "controllability: v1" in lines
    assert "(new)" not in out.getvalue()
    assert InstrumentVersion.objects.count() == 10


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("en", "The action was not saved. Due date: choose today or a later day, not a day in the past."),
        ("ru", "Действие не сохранено. Срок: выберите сегодняшний или более поздний день, а не прошедший."),
    ],
)
def test_an_action_due_in_the_past_is_refused_and_nothing_is_written(client, manager, audit, language, message):
    client.force_login(manager)
    url = reverse("diagnostics:action_create", kwargs={"assessment_id": audit.pk})
    response = client.post(
        url,
        {"item_key": "funnel", "title": "Late", "owner": manager.pk, "due_date": "2020-01-01"},
        follow=True,
        HTTP_ACCEPT_LANGUAGE=language,
    )
    page = response.content.decode()
    assert message in page
    assert "Action planned" not in page and "Действие запланировано" not in page
    assert not Action.objects.exists()
    assert "Late" not in client.get(reverse("diagnostics:actions")).content.decode()
    with pytest.raises(ValidationError) as refused:
        services.action_create(
            assessment=audit,
            item_key="funnel",
            title="Late",
            owner=manager,
            due_date=timezone.localdate() - datetime.timedelta(days=1),
            created_by=manager,
        )
    assert refused.value.message_dict == {"due_date": ["Choose today or a later day, not a day in the past."]}
    assert not Action.objects.exists()
    today = services.action_create(
        assessment=audit,
        item_key="funnel",
        title="Today",
        owner=manager,
        due_date=timezone.localdate(),
        created_by=manager,
    )
    assert list(Action.objects.values_list("pk", flat=True)) == [today.pk]


def test_the_due_date_field_starts_at_today(client, org_a, manager, audit):
    _fill_all(audit, manager, "-")
    services.assessment_complete(assessment=audit, user=manager)
    client.force_login(manager)
    page = client.get(reverse("diagnostics:report", kwargs={"assessment_id": audit.pk})).content.decode()
    assert f'name="due_date" min="{timezone.localdate().isoformat()}" required' in page


@pytest.mark.parametrize(
    ("language", "header"),
    [
        ("en", "<th>Action</th><th>From the assessment</th><th>Due date</th><th>Status</th>"),
        ("ru", "<th>Действие</th><th>Из диагностики</th><th>Срок</th><th>Статус</th>"),
    ],
)
def test_my_actions_name_the_source_column_clearly(client, manager, audit, language, header):
    services.action_create(
        assessment=audit,
        item_key="funnel",
        title="Build the funnel report",
        owner=manager,
        due_date=timezone.localdate(),
        created_by=manager,
    )
    client.force_login(manager)
    page = client.get(reverse("diagnostics:actions"), HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert f"<thead><tr>{header}<th></th></tr></thead>" in page


SOURCES = {
    "en": (
        "Source: a practical guide to diagnosing and developing companies.",
        "Source: an article on the principles of working with clients.",
        "Source: a book on managing a client base and a client department; an article on the principles of "
        "working with clients.",
    ),
    "ru": (
        "Источник: практическое руководство по диагностике и развитию компаний.",
        "Источник: статья о принципах работы с клиентами.",
        "Источник: книга об управлении клиентской базой и работе клиентского отдела; статья о принципах работы "
        "с клиентами.",
    ),
}


@pytest.mark.parametrize("language", ["en", "ru"])
def test_instruments_name_their_source_in_words_never_a_seed_number(client, manager, audit, language):
    _fill_all(audit, manager, "-")
    services.assessment_complete(assessment=audit, user=manager)
    client.force_login(manager)
    guide, article, two = SOURCES[language]
    index = client.get(reverse("diagnostics:index"), HTTP_ACCEPT_LANGUAGE=language).content.decode()
    report = client.get(
        reverse("diagnostics:report", kwargs={"assessment_id": audit.pk}), HTTP_ACCEPT_LANGUAGE=language
    ).content.decode()
    assert guide in index and article in index and two in index
    assert article in report
    idea = Instrument.objects.get(code="controllability").latest_version().definition["source_idea"][language]
    assert f'{escape(idea)} <span class="source-text">{article}</span>' in report
    for page in (index, report):
        assert "seed" not in page and "[источник" not in page
        assert re.search(r"\[(seed|источник) \d{3}", page) is None


def test_every_source_of_every_instrument_is_described_in_both_languages():
    from django.utils import translation

    from diagnostics.labels import SOURCES, source_text
    from diagnostics.loader import read_all

    for definition in read_all():
        codes = [code.strip() for code in definition["source"].split(",")]
        assert codes and all(code in SOURCES for code in codes), definition["code"]
    with translation.override("ru"):
        assert source_text("003") == "курс о продажах через клиентский сервис"
        assert source_text("001") == "книга о стратегии CRM и о проверке клиентского сервиса"
    with translation.override("en"):
        assert source_text("003") == "a course on selling through customer service"
        assert source_text("004, 002") == (
            "a book on managing a client base and a client department; "
            "an article on the principles of working with clients"
        )
    assert source_text("unknown") == ""


ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")


@pytest.mark.parametrize(("language", "pattern"), [("en", "%m/%d/%Y"), ("ru", "%d.%m.%Y")])
def test_pages_and_the_export_show_dates_in_the_readers_format_never_iso(
    client, org_a, manager, make_member, language, pattern
):
    first = services.assessment_start(
        organization=org_a, author=manager, instrument=Instrument.objects.get(code="controllability")
    )
    _fill_all(first, manager, "-")
    services.assessment_complete(assessment=first, user=manager)
    audit = services.assessment_start(
        organization=org_a, author=manager, instrument=Instrument.objects.get(code="controllability")
    )
    _fill_all(audit, manager, "+-")
    services.assessment_complete(assessment=audit, user=manager)
    due = timezone.localdate() + datetime.timedelta(days=9)
    services.action_create(
        assessment=audit, item_key="funnel", title="Funnel report", owner=manager, due_date=due, created_by=manager
    )
    services.assessment_start(organization=org_a, author=manager, instrument=Instrument.objects.get(code="goulding"))
    client.force_login(manager)
    done = timezone.localtime(audit.completed_at).date()
    pages = {
        "index": reverse("diagnostics:index"),
        "report": reverse("diagnostics:report", kwargs={"assessment_id": audit.pk}),
        "print": reverse("diagnostics:print", kwargs={"assessment_id": audit.pk}),
        "compare": reverse("diagnostics:compare", kwargs={"assessment_id": audit.pk}) + f"?with={first.pk}",
        "actions": reverse("diagnostics:actions"),
        "instrument": reverse("diagnostics:instrument", kwargs={"code": "controllability"}),
        "home": reverse("home"),
    }
    for name, url in pages.items():
        page = client.get(url, HTTP_ACCEPT_LANGUAGE=language).content.decode()
        text = re.sub(r"<[^>]+>", " ", page)  # what a person reads, not attribute values
        assert ISO_DATE.search(text) is None, (name, ISO_DATE.search(text))
        if name in ("index", "report", "print", "compare"):
            assert done.strftime(pattern) in text, name
        if name in ("report", "print", "actions", "home"):
            assert due.strftime(pattern) in text, name
    response = client.get(
        reverse("diagnostics:export", kwargs={"assessment_id": audit.pk}), HTTP_ACCEPT_LANGUAGE=language
    )
    scores = openpyxl.load_workbook(io.BytesIO(response.content)).worksheets[1]
    cell = scores.cell(row=scores.max_row, column=1)
    assert cell.value == datetime.datetime.combine(done, datetime.time())
    assert cell.number_format == {"en": "mm/dd/yyyy", "ru": "dd.mm.yyyy"}[language]


def test_refusals_without_a_form_on_the_page_come_back_as_messages(client, org_a, manager, audit):
    """Starting, answering and moving post a few inputs; what the service refuses is the page's message."""
    client.force_login(manager)
    response = client.post(reverse("diagnostics:start"), {"instrument": "nothing"}, follow=True)
    assert "Choose an instrument from the list." in response.content.decode()
    response = client.post(reverse("diagnostics:start"), {}, follow=True)
    assert "Choose an instrument from the list." in response.content.decode()
    assert list(Assessment.objects.values_list("pk", flat=True)) == [audit.pk]

    answer_url = reverse("diagnostics:answer", kwargs={"assessment_id": audit.pk})
    response = client.post(answer_url, {"item": "funnel", "value": "-", "version": "old"}, follow=True)
    page = response.content.decode()
    assert "belongs to another version of the questionnaire" in page and "Answer saved." not in page
    response = client.post(
        answer_url, {"item": "funnel", "value": "-", "version": audit.version.content_hash}, follow=True
    )
    assert "Answer saved." in response.content.decode()
    assert Answer.objects.get().value == "-"

    journey_map = services.journey_map_create(organization=org_a, title="Path", persona="Buyer", user=manager)
    first = services.touchpoint_save(
        journey_map=journey_map, stage="discovery", name="First", channel="Web", client_action="Looks", emotion=0
    )
    response = client.post(
        reverse("diagnostics:touchpoint_move", kwargs={"touchpoint_id": first.pk}), {"direction": "up"}, follow=True
    )
    assert "This touchpoint cannot move further." in response.content.decode()


@pytest.mark.parametrize(
    ("code", "no", "level", "advice"),
    [
        # 13 of 16 yes (81.2 %): the top level; only the journey (1 of 3) is weak.
        (
            "customer_orientation",
            ("hard_steps", "staff_loyalty", "every_department"),
            "Customer-oriented",
            ["journeys"],
        ),
        # The CX-understanding checklist of the same source: its weak "function" block gets the same advice.
        ("cx_understanding", ("return_recommend",), None, ["expectations"]),
    ],
)
def test_a_report_gives_the_advice_of_its_weak_areas(client, org_a, manager, code, no, level, advice):
    assessment = services.assessment_start(
        organization=org_a, author=manager, instrument=Instrument.objects.get(code=code)
    )
    _fill_all(assessment, manager, value="yes")
    Answer.objects.filter(assessment=assessment, item_key__in=no).update(value="no")
    client.force_login(manager)
    for name in ("diagnostics:report", "diagnostics:print"):
        page = client.get(reverse(name, kwargs={"assessment_id": assessment.pk})).content.decode()
        assert re.findall(r'data-advice="(\w+)"', page) == advice
        assert ('id="level"' in page) is (level is not None)
        if level:
            assert f'<div class="small fw-semibold" id="level">{level}: service is managed as a system</div>' in page
    assert "Scored below 75%: " in page
