/* The phone's outbox: every write of /m/ (a case step, a report) is kept in IndexedDB (Dexie) with its
 * photos first, then sent in order, one at a time, each with its own Idempotency-Key: a step sent twice
 * (the answer was lost, the page reloaded mid-send) is done once by the server. Without network the
 * steps wait, shown as waiting, and go out when the connection returns. Reads are kept too, so the
 * last task list and cases stay readable offline.
 *
 *   DCCOutbox.enqueue({method, url, fields, files, label, caseId}) -> seq
 *   DCCOutbox.getJSON(url) -> body (the network's, else the last kept)
 *   DCCOutbox.onChange(fn(steps)); DCCOutbox.onResult(fn(step, body)); DCCOutbox.flush()
 */
(function () {
  "use strict";

  const db = new Dexie("dcc-mobile");
  db.version(1).stores({ outbox: "++seq, state", positions: "++id, sent", reads: "url" });
  const listeners = { change: [], result: [] };
  const RETRY_MS = 3000;
  let flushing = false;

  function cookie(name) {
    const found = document.cookie.split("; ").find(function (part) { return part.startsWith(name + "="); });
    return found ? decodeURIComponent(found.slice(name.length + 1)) : "";
  }

  function newKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return "k" + Date.now().toString(36) + Math.random().toString(36).slice(2, 12);
  }

  function headers(extra) {
    return Object.assign({ "X-CSRFToken": cookie("csrftoken"), "Accept": "application/json" }, extra || {});
  }

  function body(step) {
    if (!step.files || !step.files.length) {
      return { body: JSON.stringify(step.fields || {}), type: "application/json" };
    }
    const form = new FormData();
    Object.entries(step.fields || {}).forEach(function (pair) {
      if (pair[1] !== null && pair[1] !== undefined && pair[1] !== "") form.append(pair[0], pair[1]);
    });
    step.files.forEach(function (file) { form.append(file.field || "photos", file.blob, file.name || "photo.jpg"); });
    return { body: form, type: null };
  }

  function send(step) {
    const payload = body(step);
    const extra = { "Idempotency-Key": step.key };
    if (payload.type) extra["Content-Type"] = payload.type;
    return fetch(step.url, {
      method: step.method || "POST", credentials: "same-origin", headers: headers(extra), body: payload.body,
    });
  }

  async function emit(kind, a, b) {
    for (const listener of listeners[kind]) {
      try { listener(a, b); } catch (error) { console.error(error); }
    }
  }

  async function changed() {
    const steps = await db.outbox.orderBy("seq").toArray();
    window.DCCOutbox.last = steps;  // what the page shows, read synchronously
    emit("change", steps);
  }

  async function enqueue(step) {
    const row = Object.assign({ method: "POST", fields: {}, files: [] }, step, {
      key: newKey(), state: "waiting", createdAt: new Date().toISOString(), attempts: 0,
    });
    row.seq = await db.outbox.add(row);
    await changed();
    flush();
    return row.seq;
  }

  function detail(answer, status) {
    if (answer && typeof answer.detail === "string") return answer.detail;
    return "HTTP " + status;
  }

  async function nextStep() {
    const open = await db.outbox.where("state").anyOf("waiting", "sending").toArray();
    open.sort(function (a, b) { return a.seq - b.seq; });
    return open[0] || null;
  }

  // One sender at a time, oldest first: a later step of a case never overtakes an earlier one.
  async function flush() {
    if (flushing) return;
    flushing = true;
    try {
      for (;;) {
        const step = await nextStep();
        if (!step) break;
        await db.outbox.update(step.seq, { state: "sending", attempts: (step.attempts || 0) + 1 });
        await changed();
        let response;
        try {
          response = await send(step);
        } catch (error) {
          // No network, or the answer was lost on the way: the same key again later.
          await db.outbox.update(step.seq, { state: "waiting" });
          if (navigator.onLine) setTimeout(flush, RETRY_MS);
          break;
        }
        if (response.status >= 500 || response.status === 429 || response.status === 408) {
          await db.outbox.update(step.seq, { state: "waiting" });
          break;
        }
        const answer = await response.json().catch(function () { return {}; });
        const done = response.ok;
        await db.outbox.update(step.seq, {
          state: done ? "sent" : "failed", sentAt: new Date().toISOString(),
          result: done ? (answer.status_display || answer.status || "") : detail(answer, response.status),
          resultId: answer && answer.id ? answer.id : null,
          replayed: response.headers.get("Idempotent-Replayed") === "true",
          // The photos are on the server (or refused): free the phone's storage.
          files: [],
        });
        emit("result", Object.assign({}, step, { state: done ? "sent" : "failed" }), answer);
        await changed();
      }
    } finally {
      flushing = false;
      await changed();
    }
  }

  async function getJSON(url) {
    try {
      const response = await fetch(url, { credentials: "same-origin", headers: headers() });
      if (!response.ok) {
        const answer = await response.json().catch(function () { return {}; });
        const error = new Error(detail(answer, response.status));
        error.status = response.status;
        throw error;
      }
      const answer = await response.json();
      db.reads.put({ url: url, body: answer, at: Date.now() }).catch(function () {});
      return answer;
    } catch (error) {
      if (error.status) throw error;
      const kept = await db.reads.get(url);
      if (kept) return Object.assign({ _offline: true }, kept.body);
      throw error;
    }
  }

  async function postJSON(url, data) {
    const response = await fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: headers({ "Content-Type": "application/json" }), body: JSON.stringify(data),
    });
    return response;
  }

  async function clearSent() {
    await db.outbox.where("state").anyOf("sent", "failed").delete();
    await changed();
  }

  window.addEventListener("online", flush);
  setInterval(flush, 15000);

  window.DCCOutbox = {
    db: db, last: [], enqueue: enqueue, flush: flush, getJSON: getJSON, postJSON: postJSON, clearSent: clearSent,
    steps: function () { return db.outbox.orderBy("seq").toArray(); },
    onChange: function (fn) { listeners.change.push(fn); },
    onResult: function (fn) { listeners.result.push(fn); },
    headers: headers,
  };
})();
