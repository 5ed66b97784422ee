/* /stats/: KPI cards with their formulas on hover, ECharts charts and sortable tables. The figures come
   from the page (json_script); user strings reach the DOM as text only. */
(function () {
  "use strict";
  const options = JSON.parse(document.getElementById("stats-options").textContent);
  const data = options.data;
  const T = options.text;
  const DASH = "–";

  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([key, value]) => {
      if (value !== undefined && value !== null) node.setAttribute(key, value);
    });
    [].concat(children === undefined ? [] : children).forEach((child) => {
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    });
    return node;
  }

  function format(value, kind) {
    if (value === null || value === undefined) return DASH;
    if (kind === "rate") return (value * 100).toFixed(1) + "%";
    if (kind === "hours") return value.toFixed(1) + " h";
    if (kind === "number") return value.toFixed(2);
    return String(value);
  }

  function change(value, isRate) {
    if (value === null || value === undefined) return DASH;
    const sign = value > 0 ? "+" : "";
    return isRate ? sign + (value * 100).toFixed(1) + " pt" : sign + (value * 100).toFixed(1) + "%";
  }

  // ------------------------------------------------------------------------------------------ KPI cards
  function kpiCards() {
    const grid = document.getElementById("kpis");
    const kpis = data.kpis;
    Object.entries(options.kpis).forEach(([key, meta]) => {
      const pop = kpis.period_on_period[key];
      const yoy = kpis.year_on_year[key];
      const card = el("a", { class: "kpi", href: data.links[key], title: meta.name + ": " + meta.formula }, [
        el("span", { class: "kpi-name" }, meta.name),
        el("strong", { class: "kpi-value" }, format(kpis[key], meta.kind)),
      ]);
      if (key in kpis.period_on_period) {
        card.append(el("span", { class: "kpi-change" }, [
          T.periodOnPeriod + " " + change(pop, meta.kind === "rate"),
          el("br"),
          T.yearOnYear + " " + change(yoy, meta.kind === "rate"),
        ]));
      }
      grid.append(card);
    });
    const sensors = document.getElementById("sensor-kpis");
    Object.entries(options.sensorKpis).forEach(([key, meta]) => {
      sensors.append(el("div", { class: "kpi", title: meta.name + ": " + meta.formula }, [
        el("span", { class: "kpi-name" }, meta.name),
        el("strong", { class: "kpi-value" }, format(data.sensors[key], meta.kind)),
      ]));
    });
  }

  // ------------------------------------------------------------------------------------------ tables
  function table(node, columns, rows) {
    // columns: [{key, label, kind, link}] ; sorted by a click on the header, again to reverse.
    let sortKey = null;
    let ascending = true;
    function render() {
      node.textContent = "";
      const head = el("tr", {}, columns.map((column) => {
        const mark = column.key === sortKey ? (ascending ? " ▲" : " ▼") : "";
        const th = el("th", { scope: "col", title: T.sortHint, "data-key": column.key, class: column.kind ? "num" : null }, column.label + mark);
        th.addEventListener("click", () => {
          ascending = sortKey === column.key ? !ascending : column.kind === undefined;
          sortKey = column.key;
          render();
        });
        return th;
      }));
      node.append(el("thead", {}, head));
      const sorted = rows.slice();
      if (sortKey) {
        sorted.sort((a, b) => {
          const x = a[sortKey], y = b[sortKey];
          if (x === y) return 0;
          if (x === null || x === undefined) return 1;
          if (y === null || y === undefined) return -1;
          return (x < y ? -1 : 1) * (ascending ? 1 : -1);
        });
      }
      const body = el("tbody");
      if (!sorted.length) body.append(el("tr", {}, el("td", { colspan: columns.length, class: "empty" }, T.nothing)));
      sorted.forEach((row) => {
        body.append(el("tr", {}, columns.map((column) => {
          const text = column.kind ? format(row[column.key], column.kind) : (row[column.key] ?? DASH);
          const cell = column.link && row.link ? el("a", { href: row.link }, text) : text;
          return el("td", { class: column.kind ? "num" : "" }, cell);
        })));
      });
      node.append(body);
    }
    render();
  }

  function rankingTables() {
    const tabs = document.getElementById("ranking-tabs");
    const node = document.getElementById("ranking-table");
    const columns = [
      { key: "name", label: T.name, link: true },
      { key: "reported", label: T.reported, kind: "count" },
      { key: "closed", label: T.closed, kind: "count" },
      { key: "due", label: T.due, kind: "count" },
      { key: "close_rate", label: T.closeRate, kind: "rate" },
      { key: "on_time_close_rate", label: T.onTimeCloseRate, kind: "rate" },
      { key: "overdue", label: T.overdue, kind: "count" },
    ];
    function show(dimension) {
      tabs.querySelectorAll("button").forEach((b) => b.setAttribute("aria-selected", String(b.dataset.dimension === dimension)));
      table(node, columns, data.rankings[dimension] || []);
    }
    Object.entries(options.dimensions).forEach(([dimension, label]) => {
      const button = el("button", { type: "button", role: "tab", "data-dimension": dimension }, label);
      button.addEventListener("click", () => show(dimension));
      tabs.append(button);
    });
    show("community");
  }

  function overdueTable() {
    const rows = data.overdue_list.map((row) => Object.assign({}, row, {
      deadline: row.deadline ? new Date(row.deadline).toLocaleString("zh-CN", { hour12: false }) : null,
    }));
    table(document.getElementById("overdue-table"), [
      { key: "id", label: T.case, link: true },
      { key: "title", label: T.title, link: true },
      { key: "deadline", label: T.deadline },
      { key: "category__name", label: T.category },
      { key: "grid__name", label: T.grid },
      { key: "department__name", label: T.department },
      { key: "assignee__username", label: T.assignee },
    ], rows);
  }

  function sceneTable() {
    table(document.getElementById("scene-table"), [
      { key: "name", label: T.scene },
      { key: "alarms", label: T.alarms, kind: "count" },
      { key: "false_alarms", label: T.falseAlarms, kind: "count" },
      { key: "false_alarm_rate", label: T.falseAlarmRate, kind: "rate" },
      { key: "with_case", label: T.withCase, kind: "count" },
      { key: "alarm_to_case_rate", label: T.alarmToCase, kind: "rate" },
    ], data.sensors.scenes);
  }

  // ------------------------------------------------------------------------------------------ charts
  const AXIS = { axisLabel: { color: "#33475b" }, axisLine: { lineStyle: { color: "#9fb0c6" } } };

  function chart(id, titleId, title, option) {
    document.getElementById(titleId).textContent = title;
    const node = document.getElementById(id);
    const instance = echarts.init(node, null, { renderer: "svg" });
    const empty = option.xAxis && option.xAxis.data && !option.xAxis.data.length
      || option.yAxis && option.yAxis.data && !option.yAxis.data.length;
    if (empty) {
      option = { graphic: { type: "text", left: "center", top: "middle", style: { text: T.nothing, fill: "#7a8a9e", fontSize: 14 } } };
    }
    instance.setOption(Object.assign({ animation: false, grid: { left: 48, right: 48, top: 32, bottom: 48, containLabel: true },
      tooltip: { trigger: "axis" } }, option));
    window.addEventListener("resize", () => instance.resize());
    return instance;
  }

  function charts() {
    chart("chart-trend", "trend-title", T.trend, {
      legend: { data: [T.reported, T.closed], top: 0 },
      xAxis: Object.assign({ type: "category", data: data.daily.map((d) => d.day.slice(5)) }, AXIS),
      yAxis: Object.assign({ type: "value", minInterval: 1 }, AXIS),
      series: [
        { name: T.reported, type: "line", smooth: true, data: data.daily.map((d) => d.reported), color: "#1f6fd1" },
        { name: T.closed, type: "line", smooth: true, data: data.daily.map((d) => d.closed), color: "#27ae60" },
      ],
    });
    const communities = data.rankings.community.slice(0, 12);
    chart("chart-community", "community-title", T.onTimeByCommunity, {
      xAxis: Object.assign({ type: "value", max: 100, axisLabel: { formatter: "{value}%" } }),
      yAxis: Object.assign({ type: "category", inverse: true, data: communities.map((r) => r.name) }, AXIS),
      series: [{ type: "bar", color: "#1f6fd1", label: { show: true, position: "right", formatter: (p) => p.value === null ? DASH : p.value + "%" },
        data: communities.map((r) => r.on_time_close_rate === null ? null : +(r.on_time_close_rate * 100).toFixed(1)) }],
    });
    const departments = data.rankings.department.slice().sort((a, b) => b.closed - a.closed).slice(0, 12);
    chart("chart-department", "department-title", T.closedByDepartment, {
      xAxis: Object.assign({ type: "category", data: departments.map((r) => r.name), axisLabel: { interval: 0, rotate: 30 } }),
      yAxis: Object.assign({ type: "value", minInterval: 1 }, AXIS),
      series: [
        { name: T.closed, type: "bar", color: "#27ae60", data: departments.map((r) => r.closed) },
        { name: T.overdue, type: "bar", color: "#ff4d4f", data: departments.map((r) => r.overdue) },
      ],
      legend: { data: [T.closed, T.overdue], top: 0 },
    });
    const scenes = data.sensors.scenes.slice(0, 15);
    chart("chart-scenes", "scenes-title", T.sceneAlarms, {
      legend: { data: [T.alarms, T.falseAlarmRate], top: 0 },
      xAxis: Object.assign({ type: "category", data: scenes.map((s) => s.name), axisLabel: { interval: 0, rotate: 30 } }),
      yAxis: [Object.assign({ type: "value", minInterval: 1 }, AXIS), { type: "value", max: 100, axisLabel: { formatter: "{value}%" } }],
      series: [
        { name: T.alarms, type: "bar", color: "#f2994a", data: scenes.map((s) => s.alarms) },
        { name: T.falseAlarmRate, type: "line", yAxisIndex: 1, color: "#ff4d4f",
          data: scenes.map((s) => s.false_alarm_rate === null ? null : +(s.false_alarm_rate * 100).toFixed(1)) },
      ],
    });
  }

  function heatMap() {
    const days = T.weekdays.split(",");
    const hours = Array.from({ length: 24 }, (_, h) => String(h).padStart(2, "0"));
    const top = Math.max(1, ...data.heat.map((cell) => cell[2]));
    chart("chart-heat", "heat-title", T.heat, {
      tooltip: { position: "top" },
      grid: { left: 48, right: 24, top: 16, bottom: 56, containLabel: true },
      xAxis: Object.assign({ type: "category", data: hours, splitArea: { show: true } }, AXIS),
      yAxis: Object.assign({ type: "category", data: days, splitArea: { show: true } }, AXIS),
      visualMap: { min: 0, max: top, calculable: false, orient: "horizontal", left: "center", bottom: 0,
        inRange: { color: ["#eef4fb", "#1f6fd1", "#0d1b2e"] } },
      series: [{ type: "heatmap", data: data.heat, label: { show: false } }],
    });
  }

  // ------------------------------------------------------------------------------------------ period picker
  function picker() {
    const kind = document.getElementById("period-kind");
    function sync() {
      const range = kind.value === "range";
      document.querySelectorAll("[data-for=range]").forEach((n) => { n.hidden = !range; n.querySelector("input").disabled = !range; });
      document.querySelectorAll("[data-for=single]").forEach((n) => { n.hidden = range; n.querySelector("input").disabled = range; });
    }
    kind.addEventListener("change", sync);
    // Empty filters stay out of the address.
    document.getElementById("filters").addEventListener("submit", (event) => {
      event.target.querySelectorAll("select, input").forEach((n) => { if (!n.value) n.disabled = true; });
    });
    sync();
  }

  picker();
  kpiCards();
  rankingTables();
  overdueTable();
  sceneTable();
  charts();
  heatMap();
})();
