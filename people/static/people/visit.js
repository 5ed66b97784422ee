// The visit form: fills the hidden position fields from the phone's Geolocation API (the server checks
// the place), and says what it found. Text only reaches the DOM through textContent.
(function () {
  "use strict";
  var form = document.getElementById("visit-form");
  var state = document.getElementById("position-state");
  if (!form || !state) return;
  function field(name) { return form.querySelector("[name=" + name + "]"); }
  if (!("geolocation" in navigator)) { state.textContent = state.dataset.none; return; }
  state.textContent = state.dataset.waiting;
  navigator.geolocation.getCurrentPosition(function (position) {
    field("lat").value = position.coords.latitude.toFixed(6);
    field("lng").value = position.coords.longitude.toFixed(6);
    field("accuracy").value = Math.round(position.coords.accuracy);
    state.textContent = state.dataset.found.replace("%s", String(Math.round(position.coords.accuracy)));
  }, function () {
    state.textContent = state.dataset.none;
  }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
})();
