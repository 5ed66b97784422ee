/* The sheets of a case's steps: accept (with check-in and photos before), handle (photos after),
 * return, ask for an extension, verify, false alarm; and the photo picker they share. Each sheet puts
 * its step in the outbox (outbox.js): it is sent at once, or when the network returns. */
(function () {
  "use strict";

  const V = window.DCCViews;
  const h = V.h;
  const options = V.options;
  const L10N = options.labels;
  const CHECK_IN_LIMIT_M = 200;

  function sheet(title, body, onConfirm) {
    const error = h("p", { className: "m-error", role: "alert", hidden: true });
    const confirm = h("button", { type: "submit", className: "m-button m-primary", "data-confirm": "1", text: L10N.confirm });
    const form = h("form", { className: "m-sheet-body" }, [
      h("h2", { text: title }), ...body, error,
      h("div", { className: "m-sheet-actions" }, [
        h("button", { type: "button", className: "m-button", text: L10N.cancel, onclick: close }),
        confirm,
      ]),
    ]);
    const overlay = h("div", { className: "m-sheet", role: "dialog", "aria-modal": "true" }, [form]);
    function close() { overlay.remove(); }
    form.addEventListener("submit", async function (event) {
      event.preventDefault();
      error.hidden = true;
      confirm.disabled = true;
      try {
        await onConfirm();
        close();
      } catch (problem) {
        error.textContent = problem.message;
        error.hidden = false;
      } finally {
        confirm.disabled = false;
      }
    });
    document.body.append(overlay);
    return overlay;
  }

  function noteField(label, required) {
    return h("label", { className: "m-field" }, [label, h("textarea", { name: "note", rows: "3", required: required })]);
  }

  // Photos from the camera, stamped and compressed as soon as they are taken; `values()` gives the
  // place stamped on them (the check-in position if there is one).
  function photoPicker(label, values) {
    const taken = [];
    const list = h("div", { className: "m-thumbs" });
    const status = h("p", { className: "m-hint" });
    const input = h("input", {
      type: "file", accept: "image/*", capture: "environment", multiple: true, className: "m-file", "data-photos": "1",
      onchange: async function () {
        const files = Array.from(input.files || []);
        input.value = "";
        for (const file of files) {
          status.textContent = L10N.compressing;
          try {
            const photo = await window.DCCPhotos.stamp(file, await values());
            taken.push(photo);
            list.append(h("figure", {}, [
              h("img", { src: URL.createObjectURL(photo.blob), alt: "" }),
              h("figcaption", { text: Math.round(photo.size / 1024) + " KB" }),
            ]));
            status.textContent = "";
          } catch (problem) {
            status.textContent = problem.message;
          }
        }
        picker.dispatchEvent(new CustomEvent("photos", { detail: taken.length }));
      },
    });
    const picker = h("div", { className: "m-field" }, [
      h("span", { text: label }), list,
      h("label", { className: "m-button m-camera" }, [L10N.addPhoto, input]), status,
    ]);
    picker.photos = taken;
    return picker;
  }

  function photoFields(photos, spot) {
    const first = photos[0];
    const lat = spot && spot.lat !== undefined ? spot.lat : first && first.lat;
    const lng = spot && spot.lng !== undefined ? spot.lng : first && first.lng;
    const fields = {};
    if (typeof lat === "number" && typeof lng === "number") {
      fields.photo_lat = lat.toFixed(6);
      fields.photo_lng = lng.toFixed(6);
    }
    if (first) fields.taken_at = first.takenAt;
    return fields;
  }

  function files(photos) {
    return photos.map(function (photo) { return { field: "photos", blob: photo.blob, name: photo.name }; });
  }

  // What is stamped on a photo: the check-in position, else where the phone is when it is taken.
  function stampValues(row, spot) {
    let found = null;
    return async function () {
      let here = spot() || found;
      if (!here) {
        try {
          here = found = await window.DCCPhotos.position();
        } catch (error) {
          here = {};
        }
      }
      return { lat: here.lat, lng: here.lng, address: row.address || row.place || "", by: options.user.name, labels: L10N };
    };
  }

  function step(row, action, label, fields, photos) {
    return window.DCCOutbox.enqueue({
      url: "/api/v1/cases/" + row.id + "/" + action.replace(/_/g, "-") + "/",
      fields: fields, files: photos ? files(photos) : [],
      label: label + " #" + row.id, caseId: row.id, action: action,
    });
  }

  function checkInBlock(row, onSpot) {
    const result = h("p", { className: "m-checkin-result", "data-checkin": "1" });
    const button = h("button", {
      type: "button", className: "m-button", "data-checkin-button": "1", text: L10N.checkIn,
      onclick: async function () {
        result.textContent = L10N.checkingIn;
        result.className = "m-checkin-result";
        try {
          const here = await window.DCCPhotos.position();
          const metres = Math.round(window.DCCPhotos.distance(here.lat, here.lng, row.lat, row.lng));
          here.distance = metres;
          onSpot(here);
          const far = metres > CHECK_IN_LIMIT_M;
          result.textContent = V.format(far ? L10N.tooFar : L10N.checkedIn, { m: metres });
          result.className = "m-checkin-result " + (far ? "is-far" : "is-near");
        } catch (problem) {
          result.textContent = V.format(L10N.noPosition, { error: problem.message });
          result.className = "m-checkin-result is-far";
        }
      },
    });
    return h("div", { className: "m-field" }, [button, result]);
  }

  function noteWith(form, spot) {
    const note = form.querySelector("[name=note]").value.trim();
    if (!spot) return note;
    const checkIn = V.format(L10N.checkedIn, { m: spot.distance });
    return note ? checkIn + "。" + note : checkIn;
  }

  function accept(row) {
    let spot = null;
    const picker = photoPicker(L10N.photosBefore, stampValues(row, function () { return spot; }));
    const overlay = sheet(L10N.accept + " #" + row.id, [
      checkInBlock(row, function (here) { spot = here; }), picker, noteField(L10N.note, false),
    ], function () {
      const form = overlay.querySelector("form");
      const fields = Object.assign({ note: noteWith(form, spot) }, photoFields(picker.photos, spot));
      return step(row, "accept", L10N.accept, fields, picker.photos);
    });
  }

  function handle(row) {
    let spot = null;
    const picker = photoPicker(L10N.photosAfter, stampValues(row, function () { return spot; }));
    const overlay = sheet(L10N.submitHandled + " #" + row.id, [
      checkInBlock(row, function (here) { spot = here; }), picker, noteField(L10N.note, false),
    ], function () {
      const form = overlay.querySelector("form");
      const fields = Object.assign({ note: form.querySelector("[name=note]").value.trim() }, photoFields(picker.photos, spot));
      return step(row, "handle", L10N.submitHandled, fields, picker.photos);
    });
  }

  function returnCase(row) {
    const overlay = sheet(L10N.returnCase + " #" + row.id, [noteField(L10N.returnReason, true)], function () {
      const note = overlay.querySelector("[name=note]").value.trim();
      if (!note) throw new Error(L10N.required);
      return step(row, "return", L10N.returnCase, { note: note });
    });
  }

  function pad(n) { return String(n).padStart(2, "0"); }

  function localInput(date) {
    return date.getFullYear() + "-" + pad(date.getMonth() + 1) + "-" + pad(date.getDate()) + "T" + pad(date.getHours()) + ":" + pad(date.getMinutes());
  }

  function withOffset(value) {
    const date = new Date(value);
    const minutes = -date.getTimezoneOffset();
    const sign = minutes >= 0 ? "+" : "-";
    return value + ":00" + sign + pad(Math.floor(Math.abs(minutes) / 60)) + ":" + pad(Math.abs(minutes) % 60);
  }

  function extension(row) {
    const base = row.deadline ? new Date(row.deadline) : new Date();
    const until = h("input", { type: "datetime-local", name: "until", required: true, value: localInput(new Date(base.getTime() + 86400000)) });
    const overlay = sheet(L10N.extension + " #" + row.id, [
      h("label", { className: "m-field" }, [L10N.extensionUntil, until]), noteField(L10N.extensionWhy, true),
    ], function () {
      const note = overlay.querySelector("[name=note]").value.trim();
      if (!note || !until.value) throw new Error(L10N.required);
      return step(row, "request_extension", L10N.extension, { note: note, until: withOffset(until.value) });
    });
  }

  function verify(row) {
    let spot = null;
    const picker = photoPicker(L10N.photosVerify, stampValues(row, function () { return spot; }));
    const verdict = h("div", { className: "m-choice" }, [
      h("label", {}, [h("input", { type: "radio", name: "passed", value: "true", checked: true }), L10N.passed]),
      h("label", {}, [h("input", { type: "radio", name: "passed", value: "false" }), L10N.failed]),
    ]);
    const overlay = sheet(L10N.verify + " #" + row.id, [
      verdict, checkInBlock(row, function (here) { spot = here; }), picker, noteField(L10N.note, false),
    ], function () {
      const passed = overlay.querySelector("[name=passed]:checked").value;
      const note = overlay.querySelector("[name=note]").value.trim();
      if (passed === "false" && !note) throw new Error(L10N.required);
      const fields = Object.assign({ passed: passed, note: note }, photoFields(picker.photos, spot));
      return step(row, "verify", L10N.verify, fields, picker.photos);
    });
  }

  // A sensor alarm found false on site: the alarm is marked false (counted in its scene's false-alarm
  // rate, devices' alarms API), then the case is accepted if need be and handled with what was found.
  async function falseAlarm(row, alarmId) {
    const picker = photoPicker(L10N.photosAfter, stampValues(row, function () { return null; }));
    const overlay = sheet(L10N.falseAlarm + " #" + row.id, [noteField(L10N.falseAlarmReason, true), picker], async function () {
      const note = overlay.querySelector("[name=note]").value.trim();
      if (!note) throw new Error(L10N.required);
      await window.DCCOutbox.enqueue({
        url: "/api/v1/alarms/" + alarmId + "/false-alarm/", fields: {},
        label: L10N.falseAlarm + " #" + row.id, caseId: row.id, action: "false_alarm",
      });
      const allowed = row.allowed_actions || [];
      if (allowed.indexOf("accept") >= 0) await step(row, "accept", L10N.accept, { note: "" });
      if (allowed.indexOf("accept") >= 0 || allowed.indexOf("handle") >= 0) {
        const fields = Object.assign({ note: L10N.falseAlarm + "：" + note }, photoFields(picker.photos, null));
        await step(row, "handle", L10N.submitHandled, fields, picker.photos);
      }
    });
  }

  window.DCCSteps = {
    accept: accept, handle: handle, return: returnCase, request_extension: extension, verify: verify,
    falseAlarm: falseAlarm, photoPicker: photoPicker, photoFields: photoFields, files: files, sheet: sheet,
  };
})();
