"""The monthly report a station sends the street office (`yizhan report --month 2026-11`):
plain text, and a page with the charts that Chromium, where installed, turns into a PNG."""

from __future__ import annotations

import calendar
import datetime as dt
import json
import re
import shutil
import subprocess
from pathlib import Path

from bot.staff import texts
from bot.staff.figures import Consultations, Figures

HERE = Path(__file__).resolve().parent
SHOT_SECONDS = 60


def month_span(month: str) -> tuple[dt.date, dt.date]:
    """The first and last day of "2026-11" (ValueError for anything else)."""
    if re.fullmatch(r"20\d\d-[01]\d", month) is None:
        raise ValueError(month)
    year, number = (int(part) for part in month.split("-"))
    return dt.date(year, number, 1), dt.date(year, number, calendar.monthrange(year, number)[1])


def _share(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def _hours(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value * 60:.0f} 分钟" if value < 1 else f"{value:.1f} 小时"


def as_text(station: str, figures: Figures, categories: dict[str, str],
            asked: Consultations | None = None) -> str:
    """The report as plain text, short lines, no markup (it is pasted into WeChat too)."""
    def name(ref: str) -> str:
        return categories.get(ref, texts.KINDS.get(ref, ref))

    lines = [
        f"{station} {figures.start:%Y年%m月} 工作月报（{figures.start} 至 {figures.end}）",
        "",
        f"新工单 {figures.total} 件，解决率 {_share(figures.resolution_rate)}，"
        f"按时接单 {_share(figures.within_deadline)}，返工率 {_share(figures.reopen_rate)}。",
        f"接单用时中位数 {_hours(figures.median_response_hours)}，"
        f"解决用时中位数 {_hours(figures.median_resolution_hours)}。",
        "满意度 " + ("—（没有人评价）" if figures.satisfaction is None else
                    f"{figures.satisfaction:.1f} 分（{figures.rated} 人评价）") + "。",
        f"微心愿 {figures.wishes_made} 个，认领 {figures.wishes_claimed} 个，"
        f"实现 {figures.wishes_fulfilled} 个（{_share(figures.fulfilment_rate)}）。",
        *([f"机器人直接答复咨询 {asked.answered} 个，其中当场办结事项 {asked.on_the_spot} 个；"
           + "，".join(f"{c} {n}" for c, n, _ in asked.by_category[:6]) + "。"]
          if asked is not None and asked.answered else []),
        "",
        "按类别：" + ("，".join(f"{name(c)} {n}" for c, n in figures.by_category) or "无"),
        "按楼栋：" + ("，".join(f"{b} {n}" for b, n in figures.by_building) or "无"),
        "",
        "按处理人（工单 / 已解决 / 接单用时中位数 / 按时接单 / 满意度）：",
    ]
    lines += [f"  {r.name}：{r.tickets} / {r.resolved} / {_hours(r.median_response_hours)} / "
              f"{_share(r.within_deadline)} / "
              f"{'—' if r.satisfaction is None else f'{r.satisfaction:.1f}'}"
              for r in figures.leaders] or ["  无"]
    return "\n".join(lines) + "\n"


def as_html(station: str, figures: Figures, categories: dict[str, str],
            asked: Consultations | None = None) -> str:
    """A page with the report's text and its charts, self-contained (ECharts inlined)."""
    data = {
        "dates": [d.strftime("%m-%d") for d, _, _ in figures.per_day],
        "new": [n for _, n, _ in figures.per_day],
        "resolved": [r for _, _, r in figures.per_day],
        "categories": [{"name": categories.get(c, texts.KINDS.get(c, c)), "value": n}
                       for c, n in figures.by_category],
        "buildings": [{"name": b, "value": n} for b, n in figures.by_building],
    }
    script = (HERE / "static" / "echarts.min.js").read_text(encoding="utf-8")
    body = as_text(station, figures, categories, asked).replace("&", "&amp;").replace(
        "<", "&lt;")
    return f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{station} 月报</title>
<style>body{{font-family:"PingFang SC","Microsoft YaHei","WenQuanYi Zen Hei",sans-serif;
margin:24px;width:1200px}} pre{{font-size:16px;white-space:pre-wrap}}
.chart{{width:1200px;height:320px}}</style></head><body>
<pre>{body}</pre>
<div class="chart" id="days"></div><div class="chart" id="categories"></div>
<div class="chart" id="buildings"></div>
<script>{script}</script>
<script>
var d = {json.dumps(data, ensure_ascii=False)};
function draw(id, option) {{
  echarts.init(document.getElementById(id), null, {{renderer: "svg"}})
    .setOption(Object.assign({{animation: false}}, option));
}}
draw("days", {{title: {{text: "每天新工单和解决数"}},
  legend: {{data: ["新工单", "解决"], right: 10}},
  xAxis: {{type: "category", data: d.dates}}, yAxis: {{type: "value", minInterval: 1}},
  series: [{{name: "新工单", type: "bar", data: d["new"]}},
           {{name: "解决", type: "bar", data: d.resolved}}]}});
draw("categories", {{title: {{text: "按类别"}}, series: [{{type: "pie", data: d.categories}}]}});
draw("buildings", {{title: {{text: "按楼栋"}}, xAxis: {{type: "category",
  data: d.buildings.map(function (b) {{ return b.name; }})}}, yAxis: {{type: "value",
  minInterval: 1}}, series: [{{type: "bar", data: d.buildings.map(function (b) {{
  return b.value; }})}}]}});
</script></body></html>
"""


def chromium() -> str | None:
    """Chromium on this machine (Debian's package), if any."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


def as_png(page: Path, out: Path, browser: str) -> None:
    """A picture of the report page, drawn by headless Chromium."""
    subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu",
                    "--hide-scrollbars", "--virtual-time-budget=3000",
                    "--window-size=1260,1400", f"--screenshot={out}", page.as_uri()],
                   check=True, capture_output=True, timeout=SHOT_SECONDS)
