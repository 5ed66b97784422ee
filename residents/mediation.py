"""Writes of dispute mediation (矛盾纠纷调解): open an order, record sessions, the outcome (with the
agreement document as a PDF made by WeasyPrint) and the follow-up visit 30 days later."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.files.base import ContentFile
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from cases.workflow import BadInput, IllegalTransition

from .models import MediationOrder, Mediator, Party, ResidentReport, Session

FOLLOW_UP_AFTER = timedelta(days=30)


@dataclass(frozen=True)
class PartyInput:
    side: str
    name: str
    phone: str = ""
    address: str = ""


def open_order(
    *,
    type: str,
    summary: str,
    parties: list[PartyInput],
    level: str = MediationOrder.Level.COMMUNITY,
    community_id: int | None = None,
    mediator: Mediator | None = None,
    report: ResidentReport | None = None,
    opened_by: User | None = None,
) -> MediationOrder:
    if not summary.strip():
        message = _("Say what the dispute is about.")
        raise BadInput(message, summary=message)
    sides = {party.side for party in parties}
    if sides != {Party.Side.APPLICANT, Party.Side.RESPONDENT}:
        message = _("Name at least one applicant and one respondent.")
        raise BadInput(message, parties=message)
    if community_id is None and report is not None:
        community_id = report.case.community_id
    with transaction.atomic():
        order = MediationOrder.objects.create(
            type=type, level=level, summary=summary.strip(), community_id=community_id, mediator=mediator,
            report=report, created_by=opened_by,
        )  # fmt: skip
        Party.objects.bulk_create(
            Party(order=order, side=p.side, name=p.name, phone=p.phone, address=p.address) for p in parties
        )
    return order


def _locked_open(order_id: int) -> MediationOrder:
    order = MediationOrder.objects.select_for_update().get(pk=order_id)
    if order.status != MediationOrder.Status.OPEN:
        raise IllegalTransition(_("This mediation has its outcome already."))
    return order


def add_session(*, order_id: int, at: datetime, place: str, attendees: str = "", notes: str = "") -> Session:
    if timezone.is_naive(at):
        message = _("The time needs a time zone.")
        raise BadInput(message, at=message)
    with transaction.atomic():
        order = _locked_open(order_id)
        return Session.objects.create(order=order, at=at, place=place, attendees=attendees, notes=notes)


def agreement_pdf(order: MediationOrder) -> bytes:
    """The agreement document (人民调解协议书) of an order, as PDF."""
    # why here: WeasyPrint loads Pango and parses its stylesheets at import; every process imports the
    # URLs (ingest workers too), only the one writing an agreement needs it.
    from weasyprint import HTML

    html = render_to_string(
        "residents/agreement.html",
        {
            "order": order,
            "applicants": order.parties.filter(side=Party.Side.APPLICANT),
            "respondents": order.parties.filter(side=Party.Side.RESPONDENT),
            "sessions": order.sessions.all(),
        },
    )
    return HTML(string=html).write_pdf()  # type: ignore[no-any-return]


def record_outcome(*, order_id: int, agreed: bool, agreement: str = "", note: str = "") -> MediationOrder:
    """Agreement reached (its text becomes the agreement PDF) or not reached (referred to the people's
    mediation committee); the follow-up visit falls due 30 days later either way."""
    if agreed and not agreement.strip():
        message = _("Write down what the parties agreed.")
        raise BadInput(message, agreement=message)
    now = timezone.now()
    with transaction.atomic():
        order = _locked_open(order_id)
        order.status = MediationOrder.Status.AGREED if agreed else MediationOrder.Status.REFERRED
        if not agreed:
            order.level = MediationOrder.Level.COMMITTEE
        order.agreement = agreement.strip()
        order.outcome_note = note
        order.outcome_at = now
        order.follow_up_due = (timezone.localtime(now) + FOLLOW_UP_AFTER).date()
        if agreed:
            order.agreement_pdf.save(
                f"agreement-{order.pk}.pdf", ContentFile(agreement_pdf(order)), save=False
            )
        order.save()
    return order


def record_follow_up(*, order_id: int, result: str, note: str = "") -> MediationOrder:
    if result not in MediationOrder.FollowUp.values:
        message = _("The follow-up result is held or broken.")
        raise BadInput(message, result=message)
    with transaction.atomic():
        order = MediationOrder.objects.select_for_update().get(pk=order_id)
        if order.status == MediationOrder.Status.OPEN:
            raise IllegalTransition(_("A follow-up visit comes after the outcome."))
        order.follow_up = result
        order.follow_up_note = note
        order.followed_up_at = timezone.now()
        order.save(update_fields=["follow_up", "follow_up_note", "followed_up_at"])
    return order
