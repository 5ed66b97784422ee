/* /m/: the routes (#/tasks, #/case/<id>, #/patrol, #/report, #/outbox), the task list and a task's
 * page, the live socket (new task, escalation, SOS, returned) and the outbox badge. */
(function () {
  "use strict";

  const V = window.DCCViews;
  const h = V.h;
  const options = V.options;
  const L10N = options.labels;
  const me = options.user;
  const view = document.getElementById("m-view");
  const title = document.getElementById("m-title");
  const SEEN_KEY = "dcc-m-seen-" + me.id;
  const state = { rows: [], filter: "mine", seen: new Set(JSON.parse(localStorage.getItem(SEEN_KEY) || "[]")), steps: [], caseId: null, row: null };
  const isGuard = me.role === "gate_guard";
  const OPEN = ["discovered", "filed", "dispatched", "in_progress", "handled", "verified", "suspended"];

  function saveSeen() { localStorage.setItem(SEEN_KEY, JSON.stringify(Array.from(state.seen).slice(-500))); }

  function mine(row) {
    if (isGuard) return true;
    if (row.assignee === me.username) return true;
    if (me.role === "handler" && me.department && row.department === me.department) return true;
    return row.status === "handled";  // to verify: the case's page says whether this person may
  }

  function byDeadline(a, b) {
    const x = a.deadline ? Date.parse(a.deadline) : Infinity;
    const y = b.deadline ? Date.parse(b.deadline) : Infinity;
    return x - y || a.id - b.id;
  }

  const FILTERS = [
    { key: "mine", label: L10N.all, test: function (row) { return mine(row); } },
    { key: "dispatched", label: L10N.toAccept, test: function (row) { return mine(row) && row.status === "dispatched"; } },
    { key: "in_progress", label: L10N.working, test: function (row) { return mine(row) && row.status === "in_progress"; } },
    { key: "handled", label: L10N.toVerify, test: function (row) { return row.status === "handled"; } },
    { key: "overdue", label: L10N.overdue, test: function (row) { return mine(row) && (row.overdue || (row.deadline && Date.parse(row.deadline) < Date.now())); } },
  ];
  const GUARD_FILTERS = [
    { key: "mine", label: L10N.all, test: function () { return true; } },
    { key: "open", label: L10N.working, test: function (row) { return OPEN.indexOf(row.status) >= 0; } },
    { key: "done", label: L10N.done, test: function (row) { return OPEN.indexOf(row.status) < 0; } },
  ];

  async function loadTasks() {
    // A guard follows their own reports (open and closed); the others their open tasks.
    const url = isGuard ? "/api/v1/cases/?page_size=100" : "/api/v1/cases/queue/";
    const answer = await window.DCCOutbox.getJSON(url);
    state.rows = answer.results || [];
    state.offline = Boolean(answer._offline);
    updateNewBadge();
  }

  function newIds() {
    return state.rows.filter(function (row) { return mine(row) && !state.seen.has(row.id) && row.status !== "handled"; }).map(function (row) { return row.id; });
  }

  function updateNewBadge() {
    const badge = document.getElementById("m-new");
    const count = newIds().length;
    badge.hidden = count === 0;
    badge.textContent = String(count);
  }

  function onTasks() { return !location.hash || location.hash.startsWith("#/tasks"); }

  async function showTasks() {
    title.textContent = isGuard ? L10N.myReports : L10N.myTasks;
    try {
      await loadTasks();
    } catch (error) {
      V.toast(L10N.loadFailed, "is-error");
    }
    if (onTasks()) renderTasks();  // not if the person went elsewhere meanwhile
  }

  function renderTasks() {
    const filters = isGuard ? GUARD_FILTERS : FILTERS;
    const current = filters.find(function (f) { return f.key === state.filter; }) || filters[0];
    const fresh = new Set(newIds());
    const rows = state.rows.filter(current.test).sort(byDeadline);
    const list = rows.length
      ? h("ol", { className: "m-list", id: "m-tasks" }, rows.map(function (row) { return V.taskCard(row, fresh.has(row.id)); }))
      : h("p", { className: "m-empty", text: L10N.nothing });
    V.fill(view, [
      V.filterBar(filters.map(function (f) { return { key: f.key, label: f.label, count: state.rows.filter(f.test).length }; }), current.key, function (key) {
        state.filter = key;
        renderTasks();
      }),
      state.offline ? h("p", { className: "m-hint", text: L10N.loadFailed }) : null,
      list,
    ]);
    V.tick(view);
  }

  async function showCase(id) {
    state.caseId = id;
    state.seen.add(id);
    saveSeen();
    updateNewBadge();
    let row;
    try {
      row = await window.DCCOutbox.getJSON("/api/v1/cases/" + id + "/");
    } catch (error) {
      V.fill(view, [h("p", { className: "m-error", text: error.message }), h("a", { className: "m-button", href: "#/tasks", text: L10N.back })]);
      return;
    }
    if (state.caseId !== id) return;
    state.row = row;
    title.textContent = "#" + row.id + " " + row.category_name;
    const context = await window.DCCOutbox.getJSON("/api/v1/mobile/cases/" + id + "/context/").catch(function () { return null; });
    if (state.caseId !== id) return;
    renderCase(row, context);
  }

  function actionButtons(row, context) {
    const allowed = row.allowed_actions || [];
    const buttons = [];
    const offer = [["accept", L10N.accept, true], ["handle", L10N.submitHandled, true], ["verify", L10N.verify, true],
      ["request_extension", L10N.extension, false], ["return", L10N.returnCase, false]];
    offer.forEach(function (item) {
      if (allowed.indexOf(item[0]) < 0) return;
      buttons.push(h("button", {
        type: "button", className: "m-button" + (item[2] ? " m-primary" : ""), "data-action": item[0], text: item[1],
        onclick: function () { window.DCCSteps[item[0]](row); },
      }));
    });
    if (context && context.alarm && context.alarm.may_mark_false && !context.alarm.false_alarm) {
      buttons.push(h("button", {
        type: "button", className: "m-button", "data-action": "false_alarm", text: L10N.falseAlarm,
        onclick: function () { window.DCCSteps.falseAlarm(row, context.alarm.id); },
      }));
    }
    return buttons.length ? h("div", { className: "m-actions" }, buttons) : null;
  }

  function renderCase(row, context) {
    const mapNode = h("div", { className: "m-map", id: "m-map" });
    const pending = state.steps.filter(function (s) { return s.caseId === row.id; });
    const busy = pending.some(function (s) { return s.state === "waiting" || s.state === "sending"; });
    V.fill(view, [
      h("a", { className: "m-back", href: "#/tasks", text: "‹ " + L10N.back }),
      h("section", { className: "m-section m-case-head" }, [
        h("div", { className: "m-card-top" }, [V.statusBadge(row.status), row.overdue ? h("span", { className: "m-overdue", text: L10N.overdue }) : null]),
        h("h2", { text: row.title }),
        h("p", { className: "m-card-meta", text: [row.category_name, row.place, row.address].filter(Boolean).join(" · ") }),
        V.countdown(row.deadline, row.overdue),
        row.description ? h("p", { text: row.description }) : null,
        h("p", { className: "m-hint", text: [row.department_name, row.assignee_name].filter(Boolean).join(" · ") }),
      ]),
      h("div", { id: "m-case-pending" }, [V.pendingSteps(pending)]),
      // A step of this case still waiting to be sent: no second one on top of what the page shows.
      busy ? null : actionButtons(row, context),
      h("section", { className: "m-section" }, [mapNode, V.navLinks(row)]),
      V.contacts(context),
      V.readingsChart(context),
      h("section", { className: "m-section" }, [h("h3", { text: L10N.timeline }), V.timeline(row.timeline)]),
    ]);
    V.tick(view);
    drawMap(mapNode, row);
  }

  function drawMap(node, row) {
    if (!window.L || typeof row.lat !== "number") return;
    const map = L.map(node, { zoomControl: false, attributionControl: false }).setView([row.lat, row.lng], 17);
    L.tileLayer(options.tilesUrl, { maxZoom: 19, subdomains: "1234" }).addTo(map);
    L.circleMarker([row.lat, row.lng], { radius: 9, color: "#d92d20", fillOpacity: 0.8 }).addTo(map);
  }

  function showOutbox() {
    title.textContent = L10N.outbox;
    V.fill(view, [
      state.steps.length ? h("ul", { className: "m-pending", id: "m-outbox-list" }, state.steps.map(V.stepRow)) : h("p", { className: "m-empty", text: L10N.nothing }),
    ]);
  }

  function route() {
    const hash = location.hash || "#/tasks";
    document.querySelectorAll(".m-tabs a").forEach(function (a) {
      a.setAttribute("aria-current", hash.startsWith("#/" + a.dataset.tab) || (a.dataset.tab === "tasks" && hash.startsWith("#/case")) ? "page" : "false");
    });
    const match = hash.match(/^#\/case\/(\d+)/);
    state.caseId = null;
    if (match) return showCase(Number(match[1]));
    if (hash.startsWith("#/patrol") && window.DCCPatrol) return window.DCCPatrol.show(view, title);
    if (hash.startsWith("#/report") && window.DCCPatrol) return window.DCCPatrol.report(view, title);
    if (hash.startsWith("#/outbox")) return showOutbox();
    return showTasks();
  }

  function refresh() {
    if (state.caseId) return showCase(state.caseId);
    if (onTasks()) return showTasks();
    return null;
  }

  // ------------------------------------------------------------------------------------ outbox badge
  window.DCCOutbox.onChange(function (steps) {
    state.steps = steps;
    const open = steps.filter(function (s) { return s.state === "waiting" || s.state === "sending"; }).length;
    const badge = document.getElementById("m-outbox");
    badge.hidden = open === 0;
    badge.textContent = L10N.outbox + " " + open;
    const holder = document.getElementById("m-case-pending");
    if (holder && state.row) V.fill(holder, [V.pendingSteps(steps.filter(function (s) { return s.caseId === state.row.id; }))]);
    if (location.hash.startsWith("#/outbox")) showOutbox();
  });
  window.DCCOutbox.onResult(function (step, answer) {
    V.toast(step.label + " · " + (step.state === "sent" ? L10N.sent : L10N.failedSend + ": " + (answer.detail || "")), step.state === "sent" ? "is-ok" : "is-error");
    if (step.caseId && state.caseId === step.caseId) showCase(step.caseId);
  });
  document.getElementById("m-outbox").addEventListener("click", function () { location.hash = "#/outbox"; });

  // ------------------------------------------------------------------------------------ network state
  function network() {
    const node = document.getElementById("m-net");
    node.textContent = navigator.onLine ? "" : L10N.offline;
    node.className = "m-net" + (navigator.onLine ? "" : " is-offline");
  }
  window.addEventListener("online", network);
  window.addEventListener("offline", network);
  network();

  // ------------------------------------------------------------------------------------ live events
  function alertFor(event) {
    const data = event.data || {};
    if (event.kind === "notification") return { text: data.title || L10N.newTask, critical: /SOS|紧急|求助/.test(data.title || "") };
    if (event.kind !== "case") return null;
    const names = event.events;
    const forMe = data.assignee === me.id || (me.role === "handler" && me.departmentId && data.department === me.departmentId);
    if (names.indexOf("case.returned") >= 0 || (names.indexOf("case.verified") >= 0 && data.status === "dispatched")) {
      return forMe || state.rows.some(function (r) { return r.id === event.id; }) ? { text: L10N.returned + " #" + event.id, critical: false } : null;
    }
    if (data.category === "sos" && names.indexOf("case.created") >= 0) return { text: L10N.sos + " · " + (data.place || ""), critical: true };
    if (names.indexOf("case.escalated") >= 0 && forMe) return { text: L10N.escalated + " #" + event.id, critical: data.severity === "critical" || data.emergency };
    if (names.indexOf("case.dispatched") >= 0 && forMe) return { text: L10N.newTask + " · " + (data.title || ""), critical: data.severity === "critical" || data.emergency };
    return null;
  }

  function beep() {
    try {
      const audio = new (window.AudioContext || window.webkitAudioContext)();
      const tone = audio.createOscillator();
      tone.frequency.value = 880;
      tone.connect(audio.destination);
      tone.start();
      tone.stop(audio.currentTime + 0.4);
    } catch (error) { /* no sound before the first touch */ }
  }

  const alerted = new Set();
  if (window.DCCRealtime) {
    window.DCCMobileLive = window.DCCRealtime.connect({
      path: options.socketPath,
      onEvents: function (events) {
        let changed = false;
        events.forEach(function (event) {
          if (event.kind === "case" || event.kind === "notification") changed = true;
          // The same event may come by two groups (the district's and the person's own): alert once.
          const key = event.kind + ":" + event.id + ":" + event.version + ":" + event.event;
          if (alerted.has(key)) return;
          alerted.add(key);
          if (alerted.size > 500) alerted.delete(alerted.values().next().value);
          const alert = alertFor(event);
          if (!alert) return;
          V.toast(alert.text, alert.critical ? "is-critical" : "is-info");
          if (alert.critical) {
            beep();
            if (navigator.vibrate) navigator.vibrate([300, 100, 300, 100, 300]);
          }
        });
        if (changed) refresh();
      },
      onResync: function () { refresh(); },
      onStatus: function (up) { document.body.classList.toggle("is-live", up); },
    });
  }

  setInterval(function () { V.tick(view); }, 1000);
  window.addEventListener("hashchange", route);
  route();
  window.DCCOutbox.flush();

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register(options.serviceWorker, { scope: options.scope }).catch(function () {});
  }
  window.DCCMobile = { state: state, refresh: refresh };
})();
