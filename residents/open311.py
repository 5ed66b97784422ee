"""Open311 GeoReport v2 (https://wiki.open311.org/GeoReport_v2) under /open311/v2/, JSON and XML.

Services are the resident categories; a request is a case residents reported, its id the case's. Posts
come from registered applications (`api_key`, see `manage.py open311_key`) or anonymously within the
residents' rate limit; either way they open cases through services.submit_report. Errors are the spec's
array of {code, description} with 400, 403, 404 (and 429 with Retry-After when a limit is reached).
"""

from datetime import datetime, timedelta
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from accounts.ratelimit import hit
from cases.models import Case
from cases.workflow import WorkflowError

from . import limits, selectors, services
from .models import Open311Client, PublicCategory, ResidentReport
from .open311_format import answer, error

MAX_DAYS = 90
MAX_REQUESTS = 500
MAX_DESCRIPTION = 4000
CLIENT_LIMIT = (1000, 3600)  # posts per registered application and hour
ATTRIBUTES = [
    {
        "variable": True,
        "code": "landmark",
        "datatype": "string",
        "required": False,
        "datatype_description": "",
        "order": 1,
        "description": "附近标志物（如门牌、店名）",
        "values": [],
    }
]


def _service(entry: PublicCategory) -> dict[str, Any]:
    category = entry.category
    return {
        "service_code": category.code,
        "service_name": category.name,
        "description": entry.hint,
        "metadata": True,
        "type": "realtime",
        "keywords": entry.keywords,
        "group": category.parent.name if category.parent else "",
    }


@require_GET
def services_list(request: HttpRequest, fmt: str) -> HttpResponse:
    return answer("services", [_service(entry) for entry in selectors.public_categories()], fmt)


@require_GET
def service_definition(request: HttpRequest, code: str, fmt: str) -> HttpResponse:
    if selectors.public_category(code) is None:
        return error(404, _("There is no service %(code)s.") % {"code": code[:40]}, fmt)
    return answer("definition", {"service_code": code, "attributes": ATTRIBUTES}, fmt)


def _iso(moment: datetime | None) -> str | None:
    return timezone.localtime(moment).isoformat(timespec="seconds") if moment else None


def _request(case: Case, request: HttpRequest, first: ResidentReport | None) -> dict[str, Any]:
    photo = selectors.first_report_photo(case.pk)
    is_open = case.status in Case.Status.OPEN
    return {
        "service_request_id": str(case.pk),
        "status": "open" if is_open else "closed",
        "status_notes": str(selectors.PUBLIC_STATUS.get(case.status, case.status)),
        "service_name": case.category.name,
        "service_code": case.category.code,
        "description": selectors.mask_phone(first.description if first else case.description),
        "agency_responsible": case.department.name if case.department else "",
        "service_notice": "",
        "requested_datetime": _iso(case.created_at),
        "updated_datetime": _iso(case.updated_at),
        "expected_datetime": _iso(case.deadline) if is_open else None,
        "address": case.address or (case.compound.name if case.compound else ""),
        "address_id": "",
        "zipcode": "",
        "lat": case.lat,
        "long": case.lng,
        "media_url": request.build_absolute_uri(reverse("residents:photo", args=[photo])) if photo else "",
    }


def _resident_cases() -> Any:
    return Case.objects.filter(pk__in=ResidentReport.objects.values("case_id")).select_related(
        "category", "department", "compound"
    )


def _answer_cases(request: HttpRequest, cases: list[Case], fmt: str) -> HttpResponse:
    firsts: dict[int, ResidentReport] = {}
    for report in ResidentReport.objects.filter(case__in=cases).order_by("-created_at"):
        firsts[report.case_id] = report  # the oldest wins
    return answer("requests", [_request(case, request, firsts.get(case.pk)) for case in cases], fmt)


class BadQuery(ValueError):
    pass


def _moment(raw: str | None, name: str) -> datetime | None:
    if not raw:
        return None
    try:
        moment = parse_datetime(raw.replace(" ", "+"))  # a "+" of an offset arrives as a space
    except ValueError:
        moment = None
    if moment is None:
        raise BadQuery(
            _("%(name)s must be a date and time, e.g. 2026-12-01T00:00:00+08:00.") % {"name": name}
        )
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)


def _filtered(query: Any) -> Any:
    ids = [part.strip() for part in (query.get("service_request_id") or "").split(",") if part.strip()]
    cases = _resident_cases()
    if ids:  # the spec: a list of ids overrides every other filter
        if not all(part.isascii() and part.isdigit() and len(part) < 19 for part in ids):
            raise BadQuery(_("service_request_id is a comma-separated list of request ids."))
        return cases.filter(pk__in=[int(part) for part in ids[:MAX_REQUESTS]])
    end = _moment(query.get("end_date"), "end_date") or timezone.now()
    start = _moment(query.get("start_date"), "start_date") or end - timedelta(days=MAX_DAYS)
    if start > end or end - start > timedelta(days=MAX_DAYS):
        raise BadQuery(
            _("start_date must be before end_date, at most %(days)s days apart.") % {"days": MAX_DAYS}
        )
    cases = cases.filter(created_at__gte=start, created_at__lte=end)
    if query.get("service_code"):
        cases = cases.filter(category__code=query["service_code"])
    status = query.get("status")
    if status not in (None, "", "open", "closed"):
        raise BadQuery(_("status is open or closed."))
    if status:
        cases = cases.filter(status__in=Case.Status.OPEN if status == "open" else Case.Status.FINAL)
    return cases


@csrf_exempt  # a server-to-server API: no cookies, nothing a browser's session could be made to do
@require_http_methods(["GET", "POST"])
def requests_list(request: HttpRequest, fmt: str) -> HttpResponse:
    if request.method == "POST":
        return _post(request, fmt)
    try:
        cases = list(_filtered(request.GET).order_by("-created_at", "-id")[:MAX_REQUESTS])
    except BadQuery as problem:
        return error(400, str(problem), fmt)
    return _answer_cases(request, cases, fmt)


@require_GET
def request_detail(request: HttpRequest, request_id: str, fmt: str) -> HttpResponse:
    case = _resident_cases().filter(pk=int(request_id)).first() if len(request_id) < 19 else None
    if case is None:
        return error(404, _("There is no request %(id)s.") % {"id": request_id[:20]}, fmt)
    return _answer_cases(request, [case], fmt)


class BadKey(ValueError):
    """An api_key that is not (or no longer) a registered application's."""


def _client(request: HttpRequest) -> Open311Client | None:
    """The registered application of the api_key; None without one."""
    key = request.POST.get("api_key") or ""
    if not key:
        return None
    client = Open311Client.objects.filter(key_digest=services.key_digest(key), enabled=True).first()
    if client is None:
        raise BadKey(key)
    return client


def _number(raw: str | None) -> float | None:
    try:
        return float(raw) if raw not in (None, "") else None
    except ValueError:
        return None


def _post(request: HttpRequest, fmt: str) -> HttpResponse:
    try:
        client = _client(request)
    except BadKey:
        return error(403, _("This api_key is not valid."), fmt)
    if client is None:
        wait = limits.report_wait(request)
    else:
        wait = hit(f"open311-client:{client.pk}", *CLIENT_LIMIT)
    if wait is not None:
        return error(
            429, _("Too many reports from here; please try again later."), fmt, **{"Retry-After": str(wait)}
        )
    data = request.POST
    lat, lng = _number(data.get("lat")), _number(data.get("long"))
    if lat is None or lng is None:
        return error(400, _("lat and long are required (an address alone cannot be placed)."), fmt)
    description = (data.get("description") or "").strip()
    if len(description) > MAX_DESCRIPTION:
        return error(400, _("description is longer than %(n)s characters.") % {"n": MAX_DESCRIPTION}, fmt)
    landmark = (data.get("attribute[landmark]") or "").strip()[:100]
    photos = tuple((upload.read(), upload.name or "media") for upload in request.FILES.getlist("media")[:1])
    try:
        phone = services.normal_phone(data.get("phone") or "")
        wait = limits.phone_wait(phone)
        if wait is not None:
            return error(
                429,
                _("Too many reports from here; please try again later."),
                fmt,
                **{"Retry-After": str(wait)},
            )
        report = services.submit_report(
            services.ReportInput(
                category=data.get("service_code") or "",
                description=f"{description}（{landmark}）" if landmark else description,
                lat=lat,
                lng=lng,
                phone=phone,
                photos=photos,
                channel=ResidentReport.Channel.OPEN311,
                address=(data.get("address_string") or "")[:200],
            )
        )
    except WorkflowError as problem:
        return error(400, str(problem.message), fmt)
    url = request.build_absolute_uri(reverse("residents:tracking", args=[report.tracking_code]))
    notice = _("Tracking code %(code)s: follow and rate it at %(url)s") % {
        "code": report.tracking_code,
        "url": url,
    }
    body = [{"service_request_id": str(report.case_id), "service_notice": notice, "account_id": None,
             "tracking_code": report.tracking_code}]  # fmt: skip
    return answer("requests", body, fmt, status=201)
