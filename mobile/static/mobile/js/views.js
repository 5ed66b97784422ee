/* What /m/ draws: the task list, a task's page and the sheets of its steps. User strings reach the DOM
 * as text only (h() sets textContent). The state and the routes are app.js's. */
(function () {
  "use strict";

  const options = JSON.parse(document.getElementById("m-options").textContent);
  const L10N = options.labels;

  function h(tag, attrs, children) {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(function (pair) {
      const name = pair[0];
      const value = pair[1];
      if (value === null || value === undefined || value === false) return;
      if (name === "text") node.textContent = value;
      else if (name === "className") node.className = value;
      else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
      else node.setAttribute(name, value === true ? "" : value);
    });
    (children || []).forEach(function (child) {
      if (child === null || child === undefined || child === false) return;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    });
    return node;
  }

  // replaceChildren without the parts a view left out (null, false).
  function fill(node, children) {
    node.replaceChildren(...children.filter(function (child) { return child !== null && child !== undefined && child !== false; }));
  }

  function format(label, values) {
    return label.replace(/%\((\w+)\)s/g, function (_, name) { return values[name]; });
  }

  function duration(seconds) {
    const s = Math.abs(seconds);
    if (s >= 86400) return Math.floor(s / 86400) + L10N.days + " " + Math.floor((s % 86400) / 3600) + L10N.hours;
    if (s >= 3600) return Math.floor(s / 3600) + L10N.hours + " " + Math.floor((s % 3600) / 60) + L10N.minutes;
    return Math.floor(s / 60) + L10N.minutes + " " + String(Math.floor(s % 60)).padStart(2, "0") + "s";
  }

  // The countdown of a deadline: filled in (and refreshed every second) by app.js's ticker.
  function countdown(deadline, overdue) {
    return h("span", { className: "m-countdown", "data-deadline": deadline || "", "data-overdue": overdue ? "1" : "" });
  }

  function tick(root) {
    const now = Date.now();
    (root || document).querySelectorAll(".m-countdown").forEach(function (node) {
      const deadline = node.dataset.deadline;
      if (!deadline) { node.textContent = L10N.noDeadline; node.className = "m-countdown"; return; }
      const seconds = (Date.parse(deadline) - now) / 1000;
      const late = seconds < 0 || node.dataset.overdue === "1";
      node.textContent = seconds < 0 ? L10N.overdueBy + " " + duration(seconds) : duration(seconds) + " " + L10N.left;
      node.className = "m-countdown" + (late ? " is-late" : seconds < 1800 ? " is-soon" : "");
    });
  }

  function statusBadge(status) {
    return h("span", { className: "m-status m-status-" + status, text: options.statuses[status] || status });
  }

  function taskCard(row, isNew) {
    const late = row.overdue || (row.deadline && Date.parse(row.deadline) < Date.now());
    return h("li", {}, [
      h("a", { className: "m-card" + (row.emergency ? " is-emergency" : ""), href: "#/case/" + row.id, "data-case": row.id }, [
        h("div", { className: "m-card-top" }, [
          statusBadge(row.status),
          late ? h("span", { className: "m-overdue", text: L10N.overdue }) : null,
          isNew ? h("span", { className: "m-new", text: L10N.new }) : null,
          h("span", { className: "m-id", text: "#" + row.id }),
        ]),
        h("strong", { className: "m-card-title", text: row.title }),
        h("div", { className: "m-card-meta", text: [row.category_name, row.place].filter(Boolean).join(" · ") }),
        countdown(row.deadline, row.overdue),
      ]),
    ]);
  }

  function filterBar(filters, current, onPick) {
    return h("div", { className: "m-filters", role: "tablist" }, filters.map(function (filter) {
      return h("button", {
        type: "button", role: "tab", "aria-selected": String(filter.key === current), "data-filter": filter.key,
        onclick: function () { onPick(filter.key); },
      }, [filter.label, " ", h("b", { text: String(filter.count) })]);
    }));
  }

  function navLinks(row) {
    const name = encodeURIComponent(row.title || "");
    const lat = row.lat;
    const lng = row.lng;
    return h("div", { className: "m-nav-links" }, [
      h("a", { className: "m-button", href: "https://uri.amap.com/marker?position=" + lng + "," + lat + "&name=" + name + "&coordinate=wgs84&callnative=1", target: "_blank", rel: "noopener", text: L10N.amap }),
      h("a", { className: "m-button", href: "https://api.map.baidu.com/marker?location=" + lat + "," + lng + "&title=" + name + "&content=" + name + "&coord_type=wgs84&output=html&src=dcc", target: "_blank", rel: "noopener", text: L10N.baidu }),
      h("a", { className: "m-button", href: "geo:" + lat + "," + lng + "?q=" + lat + "," + lng + "(" + name + ")", text: L10N.geo }),
    ]);
  }

  function timeline(events) {
    return h("ol", { className: "m-timeline" }, (events || []).slice().reverse().map(function (event) {
      return h("li", {}, [
        h("time", { text: new Date(event.at).toLocaleString("zh-CN", { hour12: false }) }),
        h("strong", { text: event.action_display || event.action }),
        h("span", { text: event.actor_name || "" }),
        event.note ? h("p", { text: event.note }) : null,
        (event.photos || []).length ? h("div", { className: "m-thumbs" }, event.photos.map(function (photo) {
          return h("img", { src: photo.url, alt: "", loading: "lazy" });
        })) : null,
      ]);
    }));
  }

  function contacts(context) {
    if (!context || !(context.contacts || []).length) return null;
    return h("section", { className: "m-section" }, [
      h("h3", { text: L10N.contacts }),
      h("ul", { className: "m-contacts" }, context.contacts.map(function (contact) {
        return h("li", {}, [
          h("span", { text: contact.title + " · " + contact.name }),
          contact.phone ? h("a", { className: "m-button m-call", href: "tel:" + contact.phone, text: L10N.call + " " + contact.phone }) : null,
        ]);
      })),
    ]);
  }

  // A small line chart of the point's recent readings (SVG, no library).
  function readingsChart(context) {
    const readings = (context && context.readings) || [];
    if (readings.length < 2) return null;
    const width = 340;
    const height = 90;
    const values = readings.map(function (r) { return r.value; });
    const low = Math.min.apply(null, values);
    const high = Math.max.apply(null, values);
    const span = high - low || 1;
    const points = readings.map(function (r, i) {
      const x = (i / (readings.length - 1)) * (width - 8) + 4;
      const y = height - 6 - ((r.value - low) / span) * (height - 16);
      return x.toFixed(1) + "," + y.toFixed(1);
    }).join(" ");
    const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    svg.setAttribute("viewBox", "0 0 " + width + " " + height);
    svg.setAttribute("class", "m-chart");
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", L10N.readings);
    const line = document.createElementNS("http://www.w3.org/2000/svg", "polyline");
    line.setAttribute("points", points);
    svg.append(line);
    return h("section", { className: "m-section" }, [
      h("h3", { text: L10N.readings + " · " + (context.sensor_type || "") }),
      svg,
      h("p", { className: "m-hint", text: low + " – " + high + " · " + readings.length }),
    ]);
  }

  function pendingSteps(steps) {
    if (!steps.length) return null;
    return h("ul", { className: "m-pending" }, steps.map(stepRow));
  }

  function stepRow(step) {
    const states = { waiting: L10N.waiting, sending: L10N.sending, sent: L10N.sent, failed: L10N.failedSend };
    return h("li", { className: "m-step is-" + step.state, "data-seq": step.seq }, [
      h("strong", { text: step.label }),
      h("span", { className: "m-step-state", text: states[step.state] || step.state }),
      step.result ? h("span", { className: "m-step-result", text: step.result }) : null,
    ]);
  }

  function toast(message, kind) {
    const node = h("div", { className: "m-toast " + (kind || ""), text: message });
    document.getElementById("m-toasts").append(node);
    setTimeout(function () { node.remove(); }, 5000);
  }

  window.DCCViews = {
    h: h, fill: fill, format: format, tick: tick, taskCard: taskCard, filterBar: filterBar, navLinks: navLinks,
    timeline: timeline, contacts: contacts, readingsChart: readingsChart, pendingSteps: pendingSteps,
    stepRow: stepRow, statusBadge: statusBadge, countdown: countdown, toast: toast, options: options,
  };
})();
