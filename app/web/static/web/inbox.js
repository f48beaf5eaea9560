/* Ticket lists: selection and the bulk bar, "load more", live refresh,
   j/k/x/Enter shortcuts. */
(function () {
  "use strict";
  var H = window.Helpline;
  var body = document.body;
  var rows = document.getElementById("ticket-rows");
  var bulk = document.getElementById("bulk-form");
  var countLabel = document.querySelector("[data-bulk-count]");
  var selectAll = document.getElementById("select-all");
  var empty = document.getElementById("empty-list");
  var more = document.getElementById("load-more");
  var active = -1;

  function boxes() { return Array.prototype.slice.call(rows.querySelectorAll('input[name="ids"]')); }

  function updateBulk() {
    var n = boxes().filter(function (b) { return b.checked; }).length;
    bulk.hidden = n === 0;
    countLabel.textContent = H.fmt(H.i18n.selected, {n: n});
    selectAll.checked = n > 0 && n === boxes().length;
  }
  rows.addEventListener("change", function (e) { if (e.target.name === "ids") { updateBulk(); } });
  selectAll.addEventListener("change", function () {
    boxes().forEach(function (b) { b.checked = selectAll.checked; });
    updateBulk();
  });

  function rowsUrl(cursor) {
    var url = new URL(body.dataset.rows, window.location.origin);
    url.searchParams.delete("cursor");
    if (cursor) { url.searchParams.set("cursor", cursor); }
    return url.toString();
  }

  function setMore(cursor) {
    if (!more) { return; }
    more.hidden = !cursor;
    more.dataset.cursor = cursor || "";
  }

  if (more) {
    more.addEventListener("click", function (e) {
      e.preventDefault();
      H.getJSON(rowsUrl(more.dataset.cursor)).then(function (json) {
        rows.insertAdjacentHTML("beforeend", json.html);
        setMore(json.next_cursor);
      }).catch(function () { H.toast(H.i18n.loadFailed); });
    });
  }

  /* Live: refresh the first page, keeping what is selected. */
  var refresh = H.debounce(function () {
    var checked = boxes().filter(function (b) { return b.checked; }).map(function (b) { return b.value; });
    H.getJSON(rowsUrl(null)).then(function (json) {
      rows.innerHTML = json.html;
      boxes().forEach(function (b) { b.checked = checked.indexOf(b.value) !== -1; });
      if (empty) { empty.hidden = json.count > 0; }
      setMore(json.next_cursor);
      updateBulk();
      highlight(Math.min(active, rowList().length - 1), false);
    }).catch(function () {});
  }, 300);
  ["ticket.created", "ticket.updated", "message.created"].forEach(function (type) {
    document.addEventListener("helpline:" + type, refresh);
  });
  document.addEventListener("helpline:ticket.created", function (e) {
    H.toast(H.fmt(H.i18n.newTicket, {id: e.detail.ticket_id}), "/t/" + e.detail.ticket_id);
  });

  /* Shortcuts: j/k move, x selects, Enter/o opens. */
  function rowList() { return Array.prototype.slice.call(rows.querySelectorAll("tr[data-ticket-id]")); }
  function highlight(index, focus) {
    var list = rowList();
    list.forEach(function (r) { r.classList.remove("active"); });
    if (index < 0 || !list.length) { active = -1; return; }
    active = Math.max(0, Math.min(index, list.length - 1));
    var row = list[active];
    row.classList.add("active");
    if (focus !== false) { row.querySelector("a.ticket-link").focus(); }
  }
  H.shortcuts.j = function () { highlight(active + 1); };
  H.shortcuts.k = function () { highlight(active <= 0 ? 0 : active - 1); };
  H.shortcuts.x = function () {
    var row = rowList()[active];
    if (!row) { return; }
    var box = row.querySelector('input[name="ids"]');
    box.checked = !box.checked;
    updateBulk();
  };
  H.shortcuts.o = function () {
    var row = rowList()[active];
    if (row) { row.querySelector("a.ticket-link").click(); }
  };
  updateBulk();
}());
