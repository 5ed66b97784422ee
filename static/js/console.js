/* Dispatcher console: the queue by urgency and deadline with live countdowns, the case with its timeline,
   photos, map and sensor chart, one-click actions and keyboard shortcuts. Live updates come through the
   shared realtime client (realtime.js): a case event reloads the queue, and the case shown when the event
   is newer than it (events carry the row's version); a notification shows a toast; a (re)connection or
   a gap reloads both. Every user string reaches the page as text (el() makes text nodes). */
(function () {
  "use strict";
  const options = JSON.parse(document.getElementById("console-options").textContent);
  const L_ = options.labels;
  const csrf = document.querySelector("[name=csrfmiddlewaretoken]").value;

  // Console actions: shortcut key, whether a dialog asks for input, and the button style.
  const ACTIONS = {
    file: { key: "f", primary: true },
    dispatch: { key: "d", dialog: true, primary: true },
    reject: { key: "x", dialog: true, danger: true },
    merge: { key: "m", dialog: true },
    accept: { key: "a" },
    handle: { key: "h", dialog: true },
    verify: { key: "v", dialog: true, primary: true },
    close: { key: "c", dialog: true, primary: true },
    suspend: { key: "s", dialog: true },
    resume: { key: "r" },
    return: { key: "t", dialog: true },
    request_extension: { key: "q", dialog: true },
    approve_extension: { key: "e" },
    deny_extension: { key: "n", dialog: true },
    reopen: { key: "o", dialog: true },
    rate: { key: "g", dialog: true },
  };
  const TABS = {
    open: () => true,
    discovered: (c) => c.status === "discovered",
    filed: (c) => c.status === "filed",
    working: (c) => options.statusGroups.working.includes(c.status),
    handled: (c) => options.statusGroups.toVerify.includes(c.status),
    overdue: (c) => c.overdue,
  };

  const project = DCCMap.projector(options.tilesCrs); // the tiles' coordinates (GCJ-02 for Chinese providers)
  const state = { tab: "open", search: "", cases: [], selected: null, detail: null, offset: 0, map: null, chart: null };
  const queueEl = document.getElementById("queue");
  const detailEl = document.getElementById("detail");

  // ------------------------------------------------------------------------------------------ helpers
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([name, value]) => {
      if (value === null || value === undefined || value === false) return;
      if (name === "class") node.className = value;
      else if (name === "dataset") Object.assign(node.dataset, value);
      else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
      else node.setAttribute(name, value === true ? "" : value);
    });
    children.flat().forEach((child) => {
      if (child === null || child === undefined || child === false) return;
      node.appendChild(typeof child === "string" || typeof child === "number" ? document.createTextNode(String(child)) : child);
    });
    return node;
  }

  function now() {
    return Date.now() + state.offset;
  }

  function fmtTime(iso, withDate) {
    if (!iso) return "—";
    const d = new Date(iso);
    const opts = { hour12: false, hour: "2-digit", minute: "2-digit", timeZone: options.timeZone };
    if (withDate !== false) Object.assign(opts, { month: "2-digit", day: "2-digit" });
    return d.toLocaleString("zh-CN", opts);
  }

  function fmtSpan(ms) {
    const s = Math.floor(Math.abs(ms) / 1000);
    const d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
    if (d > 0) return d + L_.days + " " + h + L_.hours;
    const pad = (n) => String(n).padStart(2, "0");
    return (h > 0 ? h + ":" + pad(m) : m) + ":" + pad(sec);
  }

  function countdown(node, deadline, status) {
    if (status === "suspended") {
      node.textContent = L_.paused;
      node.className = "countdown none";
      return;
    }
    if (!deadline) {
      node.textContent = L_.noDeadline;
      node.className = "countdown none";
      return;
    }
    const left = new Date(deadline).getTime() - now();
    node.textContent = left >= 0 ? L_.left + " " + fmtSpan(left) : L_.overdueBy + " " + fmtSpan(left);
    node.className = "countdown" + (left < 0 ? " late" : left < 15 * 60000 ? " soon" : "");
  }

  function toast(text, isError) {
    const node = el("div", { class: "toast" + (isError ? " error" : "") }, text);
    document.getElementById("toasts").appendChild(node);
    setTimeout(() => node.remove(), isError ? 8000 : 3500);
  }

  async function api(url, init) {
    const request = Object.assign({ credentials: "same-origin", headers: {} }, init || {});
    request.headers = Object.assign({ Accept: "application/json", "X-CSRFToken": csrf }, request.headers);
    const response = await fetch(url, request);
    const date = response.headers.get("Date");
    if (date) state.offset = new Date(date).getTime() - Date.now();
    let body = null;
    try {
      body = await response.json();
    } catch (error) {
      body = null;
    }
    if (!response.ok) {
      const message = body ? errorText(body) : response.status + " " + response.statusText;
      const error = new Error(message);
      error.status = response.status;
      throw error;
    }
    return body;
  }

  function errorText(body) {
    if (typeof body.detail === "string") return body.detail;
    return Object.entries(body)
      .map(([field, value]) => field + ": " + (Array.isArray(value) ? value.join(" ") : value))
      .join("; ");
  }

  // ------------------------------------------------------------------------------------------ queue
  async function loadQueue() {
    try {
      const page = await api("/api/v1/cases/queue/");
      state.cases = page.results;
      renderQueue();
    } catch (error) {
      toast(L_.loadFailed + " " + error.message, true);
    }
  }

  function visibleCases() {
    const query = state.search.trim().toLowerCase();
    return state.cases.filter(TABS[state.tab]).filter((c) => {
      if (!query) return true;
      return [String(c.id), c.title, c.place || "", c.category_name, c.department_name || "", c.assignee_name || ""]
        .join(" ")
        .toLowerCase()
        .includes(query);
    });
  }

  function renderQueue() {
    document.querySelectorAll("#tabs button").forEach((button) => {
      button.querySelector("b").textContent = state.cases.filter(TABS[button.dataset.tab]).length;
      button.setAttribute("aria-selected", String(button.dataset.tab === state.tab));
    });
    const rows = visibleCases();
    queueEl.textContent = "";
    if (!rows.length) {
      queueEl.appendChild(el("li", { class: "empty" }, L_.nothing));
      return;
    }
    rows.forEach((c) => {
      const who = [c.department_name, c.assignee_name].filter(Boolean).join(" · ");
      const timer = el("span", { class: "countdown", dataset: { deadline: c.deadline || "", status: c.status } });
      countdown(timer, c.deadline, c.status);
      const item = el(
        "li",
        { class: "sev-" + c.severity + (c.id === state.selected ? " selected" : ""), dataset: { id: c.id } },
        el("span", { class: "bar" }),
        el("div", { class: "title" },
          el("span", { class: "no" }, "#" + c.id),
          c.emergency ? el("span", { class: "badge emergency" }, L_.emergency) : null,
          c.title),
        el("div", { class: "sub" }, [c.category_name, c.place, who].filter(Boolean).join(" · ")),
        el("div", { class: "right" },
          el("span", { class: "badge status-" + c.status }, c.status_display),
          timer),
      );
      item.addEventListener("click", () => select(c.id));
      queueEl.appendChild(item);
    });
  }

  function move(step) {
    const rows = visibleCases();
    if (!rows.length) return;
    let index = rows.findIndex((c) => c.id === state.selected);
    index = index < 0 ? 0 : Math.min(Math.max(index + step, 0), rows.length - 1);
    select(rows[index].id);
    const node = queueEl.querySelector('[data-id="' + rows[index].id + '"]');
    if (node) node.scrollIntoView({ block: "nearest" });
  }

  // ------------------------------------------------------------------------------------------ detail
  async function select(id) {
    state.selected = id;
    queueEl.querySelectorAll("li").forEach((li) => li.classList.toggle("selected", Number(li.dataset.id) === id));
    history.replaceState(null, "", "?case=" + id);
    try {
      const detail = await api("/api/v1/cases/" + id + "/");
      // A slower answer for an earlier selection (a refresh, a key pressed twice) must not replace it.
      if (state.selected === id) renderDetail(detail);
    } catch (error) {
      toast(error.message, true);
    }
  }

  function renderDetail(c) {
    state.detail = c;
    if (state.map) {
      state.map.remove();
      state.map = null;
    }
    if (state.chart) {
      state.chart.dispose();
      state.chart = null;
    }
    detailEl.textContent = "";
    const timer = el("span", { class: "countdown", dataset: { deadline: c.deadline || "", status: c.status } });
    countdown(timer, c.deadline, c.status);
    const actions = el("div", { class: "actions" });
    c.allowed_actions.filter((name) => ACTIONS[name] && options.actions[name]).forEach((name) => {
      const spec = ACTIONS[name];
      actions.appendChild(
        el("button", {
          type: "button",
          class: spec.primary ? "primary" : spec.danger ? "danger" : "",
          dataset: { action: name },
          onclick: () => perform(name),
        }, options.actions[name], el("kbd", {}, spec.key)),
      );
    });
    detailEl.appendChild(
      el("div", { class: "detail-head" },
        el("h2", {},
          el("span", { class: "no" }, "#" + c.id),
          c.emergency ? el("span", { class: "badge emergency" }, L_.emergency) : null,
          c.title),
        el("div", { class: "facts" },
          el("span", { class: "badge status-" + c.status }, c.status_display),
          el("span", { class: "badge" }, c.severity_display),
          el("span", {}, c.category_name),
          el("span", {}, options.sources[c.source] || c.source),
          el("span", {}, c.place || ""),
          timer),
        actions),
    );

    const left = el("div", { class: "column" });
    const right = el("div", { class: "column" });
    const facts = el("dl", { class: "facts-grid" });
    const add = (label, value) => {
      if (value === null || value === undefined || value === "") return;
      facts.append(el("dt", {}, label), el("dd", {}, String(value)));
    };
    add(L_.place, [c.place, c.address].filter(Boolean).join(" "));
    add(L_.department, c.department_name);
    add(L_.assignee, c.assignee_name);
    add(L_.created, fmtTime(c.created_at));
    add(L_.alarms, c.source === "sensor" ? c.alarm_count : "");
    add(L_.sensor, c.sensor_point);
    add(L_.sensorNormal, c.sensor_normal_since ? fmtTime(c.sensor_normal_since) : "");
    add(L_.reworks, c.rework_count || "");
    add(L_.returns, c.return_count || "");
    add(L_.extensionRequested, c.extension_until ? fmtTime(c.extension_until) + " · " + c.extension_reason : "");
    left.appendChild(el("section", { class: "card" }, el("h3", {}, c.category_name), facts));

    const stages = [
      ["file", L_.fileStage, c.file_deadline],
      ["dispatch", L_.dispatchStage, c.dispatch_deadline],
      ["handle", L_.handleStage, c.handle_deadline],
      ["verify", L_.verifyStage, c.verify_deadline],
    ];
    left.appendChild(
      el("section", { class: "card" }, el("h3", {}, L_.stages),
        el("table", { class: "stages" },
          stages.map(([stage, label, deadline]) =>
            el("tr", { class: options.stageStatuses[stage].includes(c.status) ? "current" : "" },
              el("th", {}, label), el("td", {}, fmtTime(deadline)))))),
    );
    if (c.description) {
      left.appendChild(el("section", { class: "card" }, el("h3", {}, L_.description), el("p", { class: "description" }, c.description)));
    }
    if (c.photos.length) {
      left.appendChild(
        el("section", { class: "card" }, el("h3", {}, L_.photos),
          el("div", { class: "photos" },
            c.photos.map((p) =>
              el("a", { href: p.url, target: "_blank", rel: "noopener" },
                el("img", { src: p.url, alt: p.kind, loading: "lazy" }),
                el("span", {}, (options.kinds[p.kind] || p.kind) + " " + fmtTime(p.taken_at || p.uploaded_at)))))),
      );
    }
    if (c.escalations.length) {
      left.appendChild(
        el("section", { class: "card" }, el("h3", {}, L_.escalation),
          el("table", { class: "escalations" },
            c.escalations.map((s) =>
              el("tr", {},
                el("td", {}, s.position),
                el("td", {}, s.target_display),
                el("td", {}, s.channels.map((ch) => options.channels[ch] || ch).join(" / ")),
                el("td", {}, (options.stepStates[s.state] || s.state) + (s.fire_count ? " ×" + s.fire_count : "")),
                el("td", {}, s.due_at ? fmtTime(s.due_at) : ""))))),
      );
    }

    right.appendChild(el("section", { class: "card" }, el("h3", {}, L_.map), el("div", { id: "case-map" })));
    if (c.sensor_point) {
      right.appendChild(el("section", { class: "card" }, el("h3", {}, L_.sensorChart + " · " + c.sensor_point),
        el("div", { id: "sensor-chart" })));
    }
    right.appendChild(
      el("section", { class: "card" }, el("h3", {}, L_.timeline),
        el("ol", { class: "timeline" },
          c.timeline.slice().reverse().map((e) =>
            el("li", { class: e.overdue ? "late" : "" },
              el("div", {}, el("span", { class: "what" }, e.action_display), " ",
                el("span", { class: "when" }, fmtTime(e.at))),
              el("div", { class: "who" }, e.actor_name + (e.to_status !== e.from_status && e.from_status
                ? " · " + (options.statuses[e.from_status] || e.from_status) + " → " + (options.statuses[e.to_status] || e.to_status)
                : "")),
              details(e) ? el("div", { class: "who" }, details(e)) : null,
              e.note ? el("p", { class: "note" }, e.note) : null,
              e.time_used_seconds
                ? el("div", { class: "used" + (e.overdue ? " late" : "") },
                    L_.timeUsed + " " + fmtSpan(e.time_used_seconds * 1000) + (e.overdue ? " · " + L_.overdue : ""))
                : null,
              e.photos.length
                ? el("div", { class: "photos" }, e.photos.map((p) => el("a", { href: p.url, target: "_blank", rel: "noopener" },
                    el("img", { src: p.url, alt: p.kind, loading: "lazy" }))))
                : null)))),
    );
    detailEl.appendChild(el("div", { class: "detail-body" }, left, right));
    drawMap(c);
    if (c.sensor_point) drawSensorChart(c);
  }

  // What an event did, in a line: whom a dispatch went to, whom an escalation notified, a verdict.
  function details(e) {
    const d = e.data || {};
    if (e.action === "dispatch") {
      const dept = options.departments.find((x) => x.code === d.department);
      const person = options.people.find((x) => x.username === d.assignee);
      return "→ " + [dept ? dept.name : d.department, person ? person.name : d.assignee].filter(Boolean).join(" · ");
    }
    if (e.action === "escalate") {
      return "→ " + (d.recipient_names || d.recipients || []).join("、") + " (" + (d.channels || []).map((ch) => options.channels[ch] || ch).join(" / ") + ")";
    }
    if (e.action === "verify") return d.passed ? L_.passed : L_.failed;
    if (e.action === "reject") return options.rejectReasons[d.reason] || d.reason;
    if (e.action === "close") return options.evaluations[d.evaluation] || d.evaluation;
    if (e.action === "merge") return "→ #" + d.into;
    if (e.action === "rate") return "★".repeat(d.stars || 0);
    return "";
  }

  function drawMap(c) {
    if (!window.L) return;
    const at = project.point(c.lat, c.lng);
    state.map = L.map("case-map", { attributionControl: false }).setView(at, 17);
    DCCMap.base(state.map, { tilesUrl: options.tilesUrl, basemapUrl: options.basemapUrl, project: project });
    L.circleMarker(at, {
      radius: 10, color: c.severity === "critical" ? "#d92d20" : "#1f6fd1", weight: 3, fillOpacity: 0.35,
    }).addTo(state.map).bindTooltip(el("span", {}, c.title), { permanent: true, direction: "top", offset: [0, -8] });
  }

  async function drawSensorChart(c) {
    const box = document.getElementById("sensor-chart");
    let alarms = [];
    try {
      const page = await api("/api/v1/alarms/?sensor_point=" + encodeURIComponent(c.sensor_point) + "&page_size=50");
      alarms = (page.results || page).slice().reverse();
    } catch (error) {
      alarms = [];
    }
    if (!alarms.length || !window.echarts || state.detail !== c) {
      box.textContent = L_.noSensorData;
      box.className = "muted";
      return;
    }
    state.chart = echarts.init(box);
    state.chart.setOption({
      grid: { left: 44, right: 44, top: 28, bottom: 28 },
      tooltip: { trigger: "axis" },
      legend: { data: [L_.value, L_.count], top: 0 },
      xAxis: { type: "time" },
      yAxis: [{ type: "value", name: L_.value }, { type: "value", name: L_.count, minInterval: 1 }],
      series: [
        { name: L_.value, type: "line", step: "end", data: alarms.map((a) => [a.last_seen, a.last_value]) },
        { name: L_.count, type: "bar", yAxisIndex: 1, data: alarms.map((a) => [a.first_seen, a.count]) },
      ],
    });
  }

  // ------------------------------------------------------------------------------------------ actions
  const dialog = document.getElementById("action-dialog");
  const form = document.getElementById("action-form");
  const fieldsEl = document.getElementById("action-fields");
  const errorEl = document.getElementById("action-error");
  let pending = null;

  function field(label, input) {
    return [el("label", {}, label), input];
  }

  function choice(name, choices, selected) {
    return el("select", { name },
      choices.map(([value, label]) => el("option", { value, selected: value === selected }, label)));
  }

  function radios(name, choices, checked) {
    return el("div", { class: "choices" },
      choices.map(([value, label]) =>
        el("label", {}, el("input", { type: "radio", name, value, checked: value === checked }), label)));
  }

  function note(required) {
    return field(L_.note, el("textarea", { name: "note", required: required || null }));
  }

  function buildFields(name, c) {
    switch (name) {
      case "dispatch":
        return [
          ...field(L_.department, choice("department",
            [["", L_.automatic], ...options.departments.map((d) => [d.code, d.name])], c.department || "")),
          ...field(L_.person, choice("assignee",
            [["", L_.nobody], ...options.people.map((p) => [p.username, p.name])], c.assignee || "")),
          ...note(false),
        ];
      case "reject":
        return [...field(L_.reason, radios("reason", Object.entries(options.rejectReasons), "false_alarm")), ...note(false)];
      case "merge":
        return [
          ...(c.merge_candidates.length
            ? field(L_.candidates, radios("into", c.merge_candidates.map((m) =>
                [String(m.id), "#" + m.id + " " + m.title + " (" + m.distance_m + " m)"]), String(c.merge_candidates[0].id)))
            : []),
          ...field(L_.mergeInto, el("input", { name: "into_number", type: "number", min: 1 })),
        ];
      case "verify":
        return [
          ...field(L_.passed + " / " + L_.failed, radios("passed", [["true", L_.passed], ["false", L_.failed]], "true")),
          ...note(false),
          ...field(L_.photos, el("input", { type: "file", name: "photos", accept: "image/jpeg,image/png,image/webp", multiple: true })),
        ];
      case "handle":
        return [
          ...note(false),
          ...field(L_.photos, el("input", { type: "file", name: "photos", accept: "image/jpeg,image/png,image/webp", multiple: true })),
        ];
      case "close":
        return [...field(L_.evaluation, radios("evaluation", Object.entries(options.evaluations), "good")), ...note(false)];
      case "request_extension":
        return [...field(L_.until, el("input", { type: "datetime-local", name: "until", required: true })), ...note(true)];
      case "rate":
        return [...field(L_.stars, radios("stars", [1, 2, 3, 4, 5].map((n) => [String(n), "★".repeat(n)]), "5")), ...note(false)];
      default:
        return note(["suspend", "return", "deny_extension", "reopen"].includes(name));
    }
  }

  function perform(name) {
    const c = state.detail;
    if (!c || !c.allowed_actions.includes(name)) return;
    if (!ACTIONS[name].dialog) {
      submit(name, { note: "" });
      return;
    }
    pending = name;
    document.getElementById("action-title").textContent = options.actions[name] + " · #" + c.id + " " + c.title;
    fieldsEl.textContent = "";
    buildFields(name, c).forEach((node) => fieldsEl.appendChild(node));
    errorEl.hidden = true;
    dialog.showModal();
    const first = fieldsEl.querySelector("select, input:not([type=radio]), textarea");
    if (first) first.focus();
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!pending) return;
    const data = new FormData(form);
    const values = {};
    for (const [key, value] of data.entries()) {
      if (key === "photos") continue;
      values[key] = value;
    }
    if (values.into_number) values.into = values.into_number;
    delete values.into_number;
    if (values.until) values.until = new Date(values.until).toISOString();
    const files = data.getAll("photos").filter((f) => f && f.size);
    submit(pending, values, files);
  });
  form.querySelector("[data-cancel]").addEventListener("click", () => dialog.close());
  // Enter confirms from any field but a text area (a select would swallow it otherwise).
  dialog.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && event.target.tagName !== "TEXTAREA") {
      event.preventDefault();
      form.requestSubmit();
    }
  });

  async function submit(name, values, files) {
    const c = state.detail;
    let body;
    const headers = { "Idempotency-Key": name + ":" + c.id + ":" + c.version };
    Object.keys(values).forEach((key) => values[key] === "" && key !== "note" && delete values[key]);
    if (files && files.length) {
      body = new FormData();
      Object.entries(values).forEach(([key, value]) => body.append(key, value));
      files.forEach((file) => body.append("photos", file));
    } else {
      body = JSON.stringify(values);
      headers["Content-Type"] = "application/json";
    }
    detailEl.querySelectorAll(".actions button").forEach((b) => (b.disabled = true));
    try {
      const result = await api("/api/v1/cases/" + c.id + "/" + name.replace(/_/g, "-") + "/", { method: "POST", body, headers });
      if (dialog.open) dialog.close();
      pending = null;
      toast(options.actions[name] + " · " + L_.done);
      if (result && result.timeline) renderDetail(result);
      loadQueue();
    } catch (error) {
      if (dialog.open) {
        errorEl.textContent = error.message;
        errorEl.hidden = false;
      } else {
        toast(error.message, true);
      }
      detailEl.querySelectorAll(".actions button").forEach((b) => (b.disabled = false));
    }
  }

  // ------------------------------------------------------------------------------------------ keyboard
  document.addEventListener("keydown", (event) => {
    if (event.target.closest("input, textarea, select") || event.ctrlKey || event.metaKey || event.altKey) {
      if (event.key === "Escape" && event.target.id === "search") event.target.blur();
      return;
    }
    if (dialog.open || document.getElementById("help-dialog").open) return;
    const key = event.key;
    if (key === "j" || key === "ArrowDown") move(1);
    else if (key === "k" || key === "ArrowUp") move(-1);
    else if (key === "/") document.getElementById("search").focus();
    else if (key === "?") document.getElementById("help-dialog").showModal();
    else if (key === "R") refresh();
    else if (/^[1-6]$/.test(key)) setTab(Object.keys(TABS)[Number(key) - 1]);
    else {
      const name = Object.keys(ACTIONS).find((action) => ACTIONS[action].key === key);
      if (!name) return;
      perform(name);
    }
    event.preventDefault();
  });
  document.querySelector("[data-help]").addEventListener("click", () => document.getElementById("help-dialog").showModal());

  function setTab(tab) {
    state.tab = tab;
    renderQueue();
  }
  document.querySelectorAll("#tabs button").forEach((button) => button.addEventListener("click", () => setTab(button.dataset.tab)));
  document.getElementById("search").addEventListener("input", (event) => {
    state.search = event.target.value;
    renderQueue();
  });

  // ------------------------------------------------------------------------------------------ live
  let refreshTimer = null;
  function refresh() {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(() => {
      loadQueue();
      if (state.selected) select(state.selected);
    }, 300);
  }

  const conn = document.getElementById("conn");
  let queueTimer = null;
  function onEvents(events) {
    let cases = false;
    events.forEach((event) => {
      if (event.kind === "notification") {
        toast(L_.newNotification + ": " + (event.data.title || ""));
        return;
      }
      if (event.kind !== "case") return;
      cases = true;
      const shown = state.detail;
      if (shown && event.id === shown.id && event.version > shown.version) select(shown.id);
    });
    if (cases) {
      clearTimeout(queueTimer);
      queueTimer = setTimeout(loadQueue, 150); // one reload for a burst of frames
    }
  }
  const live = DCCRealtime.connect({
    path: options.socketPath,
    onEvents: onEvents,
    onResync: refresh, // connected, reconnected or a gap: whatever happened meanwhile
    onStatus: (up) => {
      conn.textContent = up ? L_.connected : L_.disconnected;
      conn.className = "conn " + (up ? "conn-up" : "conn-down");
    },
  });
  window.DCCConsole = { state: state, live: live };

  function tick() {
    document.getElementById("clock").textContent = new Date(now()).toLocaleString("zh-CN", {
      hour12: false, timeZone: options.timeZone,
    });
    document.querySelectorAll(".countdown[data-status]").forEach((node) =>
      countdown(node, node.dataset.deadline || null, node.dataset.status));
  }

  setInterval(tick, 1000);
  tick();
  const wanted = Number(new URLSearchParams(location.search).get("case"));
  loadQueue().then(() => {
    if (wanted) select(wanted);
    else if (state.cases.length) select(visibleCases()[0].id);
  });
  setInterval(loadQueue, 60000); // a safety net if frames were lost
})();
