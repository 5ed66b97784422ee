"""The weekly report's content and files: the HTML page (also the PDF's source, charts as server-side
SVG), the PDF (WeasyPrint, CJK font WenQuanYi Micro Hei), the XLSX (XlsxWriter) and the CSV."""

import csv
import io
from typing import Any

import xlsxwriter
from django.template.loader import render_to_string
from weasyprint import HTML

from . import catalogue, svg
from .periods import Period
from .selectors import statistics

SHOWN = (
    "reported", "filed", "filing_rate", "dispatched", "accurate_dispatch_rate", "return_rate", "handled",
    "on_time_handle_rate", "rework_rate", "extension_rate", "closed", "close_rate", "on_time_close_rate",
    "suspended", "avg_response_hours", "avg_handle_hours", "avg_handle_work_hours", "avg_disposal_hours",
    "satisfaction_rate", "closed_per_handler_day", "overdue",
)  # fmt: skip


def shown(value: Any, kind: str) -> str:
    if value is None:
        return "–"
    if kind == "rate":
        return f"{value * 100:.1f}%"
    if kind == "hours":
        return f"{value:.1f} h"
    if kind == "number":
        return f"{value:.2f}"
    return str(value)


def change_shown(value: float | None, kind: str) -> str:
    if value is None:
        return "–"
    return f"{value * 100:+.1f} pt" if kind == "rate" else f"{value * 100:+.1f}%"


def kpi_rows(kpis: dict[str, Any]) -> list[dict[str, Any]]:
    """The report's KPI table: name, value, formula and the changes, formatted."""
    rows = []
    for key in SHOWN:
        name, formula, kind = catalogue.KPIS[key]
        rows.append(
            {
                "key": key,
                "name": str(name),
                "formula": str(formula),
                "value": kpis[key],
                "shown": shown(kpis[key], kind),
                "period_on_period": change_shown(kpis["period_on_period"].get(key), kind),
                "year_on_year": change_shown(kpis["year_on_year"].get(key), kind),
            }
        )
    return rows


def report_content(period: Period) -> dict[str, Any]:
    """Everything the report shows, for the whole district (the report goes to every official)."""
    data = statistics(None, period)
    daily = data["daily"]
    communities = data["rankings"]["community"][:10]
    scenes = data["sensors"]["scenes"][:10]
    data["kpi_rows"] = kpi_rows(data["kpis"])
    data["charts"] = {
        "trend": svg.line_chart(
            [f"{row['day']:%m-%d}" for row in daily],
            [
                (str(catalogue.KPIS["reported"][0]), [row["reported"] for row in daily]),
                (str(catalogue.KPIS["closed"][0]), [row["closed"] for row in daily]),
            ],
        ),
        "communities": svg.bar_chart(
            [(row["name"], _percent(row["on_time_close_rate"])) for row in communities], unit="%", maximum=100
        ),
        "scenes": svg.bar_chart([(row["name"], row["alarms"]) for row in scenes]),
    }
    data["dimension_names"] = {key: str(name) for key, name in catalogue.DIMENSION_NAMES.items()}
    return data


def _percent(value: float | None) -> float | None:
    return None if value is None else round(value * 100, 1)


def render_html(content: dict[str, Any], *, standalone: bool) -> str:
    """The report as HTML: `standalone` for the PDF (its own styles, no site frame)."""
    return render_to_string("stats/weekly_report.html", {"report": content, "standalone": standalone})


def pdf_bytes(content: dict[str, Any]) -> bytes:
    return HTML(string=render_html(content, standalone=True)).write_pdf()  # type: ignore[no-any-return]  # weasyprint is untyped


def xlsx_bytes(content: dict[str, Any]) -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "default_date_format": "yyyy-mm-dd"})
    bold = book.add_format({"bold": True})
    percent = book.add_format({"num_format": "0.0%"})
    decimal = book.add_format({"num_format": "0.00"})
    sheet = book.add_worksheet("KPI")
    sheet.write_row(0, 0, ["key", "指标", "数值", "环比", "同比", "公式"], bold)
    for n, row in enumerate(content["kpi_rows"], start=1):
        kind = catalogue.KPIS[row["key"]][2]
        style = percent if kind == "rate" else decimal if kind in ("hours", "number") else None
        sheet.write(n, 0, row["key"])
        sheet.write(n, 1, row["name"])
        if row["value"] is None:
            sheet.write_string(n, 2, "–")
        else:
            sheet.write_number(n, 2, row["value"], style)
        sheet.write_row(n, 3, [row["period_on_period"], row["year_on_year"], row["formula"]])
    sheet.set_column(0, 0, 24)
    sheet.set_column(1, 1, 22)
    sheet.set_column(5, 5, 60)
    for dimension, rows in content["rankings"].items():
        ranking = book.add_worksheet(f"rank-{dimension}")
        ranking.write_row(
            0, 0, ["code", "名称", "上报", "结案", "应结", "结案率", "按期结案率", "当前超期"], bold
        )
        for n, row in enumerate(rows, start=1):
            ranking.write_row(n, 0, [row["code"], row["name"], row["reported"], row["closed"], row["due"]])
            for column, key in ((5, "close_rate"), (6, "on_time_close_rate")):
                if row[key] is None:
                    ranking.write_string(n, column, "–")
                else:
                    ranking.write_number(n, column, row[key], percent)
            ranking.write_number(n, 7, row["overdue"])
    scenes = book.add_worksheet("scenes")
    scenes.write_row(0, 0, ["scene", "名称", "告警", "误报", "误报率", "成案"], bold)
    for n, row in enumerate(content["sensors"]["scenes"], start=1):
        scenes.write_row(n, 0, [row["scene"], row["name"], row["alarms"], row["false_alarms"]])
        scenes.write(n, 4, row["false_alarm_rate"] if row["false_alarm_rate"] is not None else "–", percent)
        scenes.write_number(n, 5, row["with_case"])
    overdue = book.add_worksheet("overdue")
    overdue.write_row(0, 0, ["id", "标题", "时限", "类别", "网格", "部门", "处置人"], bold)
    for n, row in enumerate(content["overdue_list"], start=1):
        deadline = row["deadline"].isoformat() if row["deadline"] else ""
        values = [
            row["category__name"],
            row["grid__name"],
            row["department__name"],
            row["assignee__username"],
        ]
        overdue.write_row(n, 0, [row["id"], row["title"], deadline, *[v or "" for v in values]])
    book.close()
    return buffer.getvalue()


def csv_text(content: dict[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["key", "name", "value", "period_on_period", "year_on_year"])
    for row in content["kpi_rows"]:
        value = "" if row["value"] is None else row["value"]
        writer.writerow([row["key"], row["name"], value, row["period_on_period"], row["year_on_year"]])
    return out.getvalue()
