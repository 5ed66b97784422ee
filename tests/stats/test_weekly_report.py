"""The weekly report: its files (PDF with the CJK font, XLSX opened again, CSV), the archive, the e-mail to
the officials through a real SMTP server (aiosmtpd), when it is due, and its pages and downloads."""

import contextlib
import email
import io
import re
import socket
import zlib
from datetime import timedelta

import openpyxl
import pytest
from aiosmtpd.controller import Controller
from django.conf import settings
from django.test import Client

from accounts.models import User
from cases.models import Case
from stats import services, svg
from stats.models import WeeklyReport
from stats.periods import parse_week
from stats.report import csv_text, pdf_bytes, report_content, xlsx_bytes
from tests.factories import UserFactory

from .conftest import at, case

pytestmark = pytest.mark.django_db
WEEK = parse_week("2026-W47")
S = Case.Status


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path / "media"


def a_week_of_cases() -> None:
    filed = at("2026-11-16 09:00")
    case(filed_at=filed, status=S.CLOSED, closed_at=at("2026-11-17 09:00"), title="已结<案>")
    case(filed_at=filed, status=S.CLOSED, closed_at=at("2026-11-18 09:00"), ever_overdue=True)
    case(filed_at=filed, status=S.DISPATCHED, overdue=True, deadline=at("2026-11-20 09:00"))


def test_svg_charts_escape_their_labels():
    chart = svg.bar_chart([("<社区>", 50.0), ("空", None)], unit="%", maximum=100)
    assert chart.startswith("<svg")
    assert "&lt;社区&gt;" in chart
    assert "–" in chart
    line = svg.line_chart(["11-16", "11-17"], [("上报数", [1, 3])])
    assert "<polyline" in line


def test_the_xlsx_opens_and_holds_the_figures():
    a_week_of_cases()
    content = report_content(WEEK)
    book = openpyxl.load_workbook(io.BytesIO(xlsx_bytes(content)))
    assert book.sheetnames[:2] == ["KPI", "rank-community"]
    rows = {row[0]: row for row in book["KPI"].iter_rows(min_row=2, values_only=True)}
    assert rows["reported"][2] == 3
    assert rows["closed"][2] == 2
    assert rows["close_rate"][2] == pytest.approx(2 / 3)
    assert rows["on_time_close_rate"][2] == pytest.approx(1 / 3)
    assert rows["satisfaction_rate"][2] == "–"  # nothing to divide by
    assert book["KPI"]["B1"].value == "指标"
    overdue = list(book["overdue"].iter_rows(min_row=2, values_only=True))
    assert len(overdue) == 1


def test_the_csv_and_the_pdf_with_its_cjk_font():
    a_week_of_cases()
    content = report_content(WEEK)
    lines = csv_text(content).splitlines()
    assert lines[0] == "key,name,value,period_on_period,year_on_year"
    assert any(line.startswith("reported,") and ",3," in line for line in lines)
    pdf = pdf_bytes(content)
    assert pdf.startswith(b"%PDF")
    assert b"WenQuanYi" in pdf_text(pdf)  # the CJK font is embedded


def pdf_text(pdf: bytes) -> bytes:
    """The PDF with its compressed streams inflated (font names sit in object streams)."""
    parts = [pdf]
    for match in re.finditer(rb"stream\r?\n(.*?)endstream", pdf, re.S):
        with contextlib.suppress(zlib.error):
            parts.append(zlib.decompress(match[1]))
    return b"".join(parts)


class Inbox:
    def __init__(self) -> None:
        self.messages: list[email.message.Message] = []

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture
def smtp(settings):  # type: ignore[no-untyped-def]
    """A real SMTP server on a free port; Django sends to it over SMTP."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    yield inbox
    controller.stop()


def test_the_report_is_archived_and_mailed_to_the_officials(smtp):
    a_week_of_cases()
    UserFactory(role=User.Role.OFFICIAL, email="leader@street.example")
    UserFactory(role=User.Role.OFFICIAL, email="deputy@street.example")
    UserFactory(role=User.Role.OFFICIAL, email="gone@street.example", is_active=False)
    UserFactory(role=User.Role.DISPATCHER, email="desk@street.example")
    report = services.generate_weekly_report(week=WEEK)
    assert (report.week, report.kpis["reported"], report.kpis["closed"]) == ("2026-W47", 3, 2)
    for kind in ("pdf", "xlsx", "csv"):
        assert getattr(report, kind).name.endswith(f"weekly-2026-W47.{kind}")
    report.refresh_from_db()
    assert report.emailed_to == 2
    assert len(smtp.messages) == 1
    message = smtp.messages[0]
    assert sorted(message["To"].split(", ")) == ["deputy@street.example", "leader@street.example"]
    assert "2026-W47" in str(email.header.make_header(email.header.decode_header(message["Subject"])))
    names = sorted(part.get_filename() for part in message.walk() if part.get_filename())
    assert names == ["weekly-2026-W47.pdf", "weekly-2026-W47.xlsx"]
    again = services.generate_weekly_report(week=WEEK, email=False)  # a second run replaces the files
    assert again.pk == report.pk
    assert again.pdf.name == report.pdf.name


def test_it_is_due_from_monday_0800_once():
    assert services.due_week(at("2026-11-23 07:59")) is None
    assert services.due_week(at("2026-11-23 08:00")) == WEEK
    assert services.due_week(at("2026-11-29 23:00")) == WEEK
    WeeklyReport.objects.create(week="2026-W47", first_day=WEEK.first, last_day=WEEK.last)
    assert services.due_week(at("2026-11-23 09:00")) is None
    assert ("stats.tasks.weekly_report_when_due", 600) in settings.PERIODIC_JOBS
    assert "stats.tasks.weekly_report_when_due" in settings.CELERY_BEAT_SCHEDULE


def test_the_periodic_job_generates_last_weeks_report(smtp):
    assert services.generate_due_report(now=at("2026-11-23 08:05")) == "2026-W47"
    assert services.generate_due_report(now=at("2026-11-23 08:15")) is None
    assert WeeklyReport.objects.get().week == "2026-W47"


def signed_in(role: str) -> Client:
    client = Client()
    client.force_login(UserFactory(role=role))
    return client


def test_pages_and_downloads():
    a_week_of_cases()
    official = signed_in(User.Role.OFFICIAL)
    assert official.get("/stats/weekly/").status_code == 200
    page = official.get("/stats/weekly/2026-W47/")
    assert page.status_code == 200
    assert "<svg" in page.content.decode()
    pdf = official.get("/stats/weekly/2026-W47.pdf")
    assert (pdf.status_code, pdf["Content-Type"]) == (200, "application/pdf")
    assert pdf.content.startswith(b"%PDF")
    xlsx = official.get("/stats/weekly/2026-W47.xlsx")
    assert xlsx.status_code == 200
    assert openpyxl.load_workbook(io.BytesIO(xlsx.content))["KPI"]["A2"].value == "reported"
    assert official.get("/stats/weekly/2026-W99.pdf").status_code == 404
    assert signed_in(User.Role.HANDLER).get("/stats/weekly/2026-W47.pdf").status_code == 403


def test_dispatchers_generate_on_demand_and_officials_may_not():
    assert (
        signed_in(User.Role.OFFICIAL).post("/stats/weekly/generate/", {"week": "2026-W47"}).status_code == 403
    )
    response = signed_in(User.Role.DISPATCHER).post("/stats/weekly/generate/", {"week": "2026-W47"})
    assert response.status_code == 302
    report = WeeklyReport.objects.get(week="2026-W47")
    assert report.emailed_at is None
    archived = signed_in(User.Role.ADMIN).get("/stats/weekly/2026-W47.pdf")
    assert b"".join(archived.streaming_content).startswith(b"%PDF")  # the archived file
    assert report.generated_at > at("2026-11-23 00:00") - timedelta(days=1)
