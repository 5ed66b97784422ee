/* The tracking page's rating form: 1-5 stars and a comment, posted to the API, then the page again. */
(function () {
  "use strict";
  const form = document.getElementById("r-rating");
  if (!form) return;
  const options = JSON.parse(document.getElementById("tracking-options").textContent);
  const L10N = options.labels;
  const error = document.getElementById("r-error");
  let stars = 0;

  function say(message) {
    error.textContent = message || "";
    error.hidden = !message;
  }

  form.querySelectorAll("[data-stars]").forEach(function (button) {
    button.addEventListener("click", function () {
      stars = Number(button.dataset.stars);
      form.querySelectorAll("[data-stars]").forEach(function (b) {
        b.classList.toggle("on", Number(b.dataset.stars) <= stars);
      });
    });
  });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (!stars) { say(L10N.chooseStars); return; }
    const body = JSON.stringify({ stars: stars, comment: document.getElementById("r-comment").value });
    fetch(options.ratingUrl, { method: "POST", body: body, headers: { "Content-Type": "application/json", Accept: "application/json" } })
      .then(function (r) { return r.json().catch(function () { return {}; }).then(function (data) { return { ok: r.ok, data: data }; }); })
      .then(function (answer) {
        if (!answer.ok) { say(answer.data.detail || L10N.failed); return; }
        window.location.reload();
      })
      .catch(function () { say(L10N.failed); });
  });
})();
