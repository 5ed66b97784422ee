"""Demo data of the residents app: a few reports of the demo street, one rated five stars after its
closing, one rated two stars (reopened, with a call-back task), the others open. Called by
demo.seed.seed_demo; does nothing once the street has resident reports."""

import io
from typing import Any

from django.db import transaction
from django.utils import timezone
from PIL import Image

from accounts.models import User
from cases.models import Case
from cases.photos import PhotoUpload
from cases.workflow import apply_transition
from grids.models import Compound

from .catalogue import ensure_public_categories
from .mediation import PartyInput, add_session, open_order, record_outcome
from .models import MediationOrder, Mediator, ResidentReport
from .services import ReportInput, rate_report, submit_report

# (category, description, phone, rating after closing or None to leave it open)
REPORTS = [
    ("green-damage", "绿道上的指路牌被撞歪了，箭头指反了方向。", "13916620001", 5),
    ("exposed-garbage", "小区东门外垃圾桶满溢，周边有散落垃圾。", "", 2),
    ("streetlight", "小区南侧人行道路灯晚上不亮，已经三天了。", "13916620003", None),
    ("road-damage", "人行道地砖松动翘起，老人容易绊倒。", "", None),
]


def _photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (640, 480), (90, 160, 90)).save(out, format="JPEG", quality=80)
    return out.getvalue()


def _close(case: Case, dispatcher: User, handler: User) -> None:
    if handler.department_id is None:
        return
    steps: list[tuple[str, User, dict[str, Any], list[PhotoUpload]]] = [
        ("file", dispatcher, {}, []),
        ("dispatch", dispatcher, {"department": handler.department_id}, []),
        ("accept", handler, {}, []),
        ("handle", handler, {}, [PhotoUpload(content=_photo(), name="after.jpg")]),
        ("verify", dispatcher, {"passed": True}, []),
        ("close", dispatcher, {"evaluation": "good"}, []),
    ]
    for action, actor, params, photos in steps:
        apply_transition(
            case_id=case.pk, action=action, actor=actor, params=params, photos=photos, note="已处理"
        )


def seed_demo_residents() -> int:
    """The demo reports (once); the number created."""
    ensure_public_categories()
    if ResidentReport.objects.exists():
        return 0
    compounds = list(Compound.objects.order_by("id")[: len(REPORTS)])
    dispatcher = User.objects.filter(username="dispatcher").first()
    handler = User.objects.filter(username="handler").first()
    if len(compounds) < len(REPORTS) or dispatcher is None or handler is None:
        return 0
    with transaction.atomic():
        for compound, (category, description, phone, stars) in zip(compounds, REPORTS, strict=True):
            report = submit_report(
                ReportInput(
                    category=category,
                    description=description,
                    lat=compound.centre_lat,
                    lng=compound.centre_lng,
                    phone=phone,
                )
            )
            if stars is not None:
                _close(report.case, dispatcher, handler)
                rate_report(
                    report=report, stars=stars, comment="修得很快，谢谢！" if stars > 3 else "垃圾还在"
                )
        _seed_mediation(compounds[0])
    return len(REPORTS)


def _seed_mediation(compound: Compound) -> None:
    """Two volunteer mediators and one noise dispute settled by agreement, its follow-up due."""
    volunteer = Mediator.objects.create(
        name="赵桂兰", kind=Mediator.Kind.VOLUNTEER, community=compound.community
    )
    Mediator.objects.create(name="钱志强", kind=Mediator.Kind.VOLUNTEER, community=compound.community)
    order = open_order(
        type=MediationOrder.Type.NOISE,
        summary="楼上住户夜间装修、跳绳，楼下老人无法休息。",
        parties=[PartyInput("applicant", "孙秀英", "13916620011", f"{compound.name} 3号楼201"),
                 PartyInput("respondent", "周海涛", "13916620012", f"{compound.name} 3号楼301")],
        community_id=compound.community_id,
        mediator=volunteer,
    )  # fmt: skip
    add_session(order_id=order.pk, at=timezone.now(), place="社区调解室", attendees="双方当事人、调解员")
    record_outcome(
        order_id=order.pk, agreed=True, agreement="一、晚上九点后不再进行有噪声的活动；\n二、地面加铺隔音垫。"
    )
