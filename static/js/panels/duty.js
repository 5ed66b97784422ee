/* "On duty now" (screen/panels_duty.py): one line per shift, street-wide duties first. */
(function () {
  "use strict";
  const list = document.getElementById("duty");

  function line(row) {
    const item = document.createElement("li");
    const duty = document.createElement("span");
    duty.className = "duty-role";
    duty.textContent = row.duty + (row.grid ? " · " + row.grid : "");
    const name = document.createElement("span");
    name.className = "duty-name";
    name.textContent = row.name;
    const phone = document.createElement("span");
    phone.className = "duty-phone";
    phone.textContent = row.phone || "";
    item.append(duty, name, phone);
    return item;
  }

  window.DCC.panel("duty", function (rows) {
    list.replaceChildren();
    if (!rows.length) {
      const empty = document.createElement("li");
      empty.className = "empty";
      empty.textContent = list.dataset.empty;
      list.append(empty);
      return;
    }
    rows.forEach(function (row) { list.append(line(row)); });
  });
})();
