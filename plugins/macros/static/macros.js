/* Macros in the agent UI: the composer picker (shortcut m, preview editable
   before sending) and the bulk-bar entry (a background job with progress).
   Talks to /api/v1/macros with the session cookie and the CSRF header. */
(function () {
  "use strict";
  if (window.HelplineMacros) { return; }  // both fragments may load this file
  window.HelplineMacros = true;
  var H = window.Helpline;
  var tData = document.getElementById("helpline-macros-i18n");
  var t = tData ? JSON.parse(tData.textContent) : {};
  // The core UI's CSRF-aware JSON fetch: resolves to {ok, status, data}.
  function api(method, url, data) { return window.Helpline.api(method, url, data); }

  function errorText(res) {
    var err = (res.data && res.data.error) || {};
    var text = err.message || t.failed;
    if (err.fields) {
      text += " " + Object.keys(err.fields).map(function (k) { return k + ": " + err.fields[k]; }).join("; ");
    }
    return text;
  }

  /* ---- the composer picker ---------------------------------------------- */
  var open = document.getElementById("macro-open");
  var dialog = document.getElementById("macro-dialog");
  if (open && dialog) {
    var base = open.dataset.macrosApi;
    var ticketId = Number(document.body.dataset.ticketId);
    var search = document.getElementById("macro-search");
    var list = document.getElementById("macro-list");
    var empty = document.getElementById("macro-empty");
    var pick = document.getElementById("macro-pick");
    var preview = document.getElementById("macro-preview");
    var body = document.getElementById("macro-body");
    var actions = document.getElementById("macro-action-list");
    var refusal = document.getElementById("macro-refusal");
    var applyButton = document.getElementById("macro-apply");
    var chosen = null;
    var active = 0;
    var seq = 0;

    function options() { return Array.prototype.slice.call(list.querySelectorAll("[role=option]")); }

    function highlight(index) {
      var items = options();
      if (!items.length) { return; }
      active = (index + items.length) % items.length;
      items.forEach(function (li, i) { li.setAttribute("aria-selected", i === active ? "true" : "false"); });
      search.setAttribute("aria-activedescendant", items[active].id);
      items[active].scrollIntoView({block: "nearest"});
    }

    function load() {
      var mine = ++seq;
      var url = base + "?limit=50" + (search.value.trim() ? "&q=" + encodeURIComponent(search.value.trim()) : "");
      api("GET", url).then(function (res) {
        if (mine !== seq || !res.ok) { return; }
        list.innerHTML = "";
        res.data.items.forEach(function (macro) {
          var li = document.createElement("li");
          li.setAttribute("role", "option");
          li.id = "macro-option-" + macro.id;
          li.dataset.macroId = macro.id;
          li.textContent = macro.name;
          li.addEventListener("click", function () { choose(macro); });
          list.appendChild(li);
          li.macro = macro;
        });
        empty.hidden = res.data.items.length > 0;
        if (!res.data.items.length) { search.removeAttribute("aria-activedescendant"); }
        highlight(0);
      });
    }

    function showPick() {
      chosen = null;
      preview.hidden = true;
      pick.hidden = false;
      search.focus();
    }

    function choose(macro) {
      chosen = macro;
      api("POST", base + "/" + macro.id + "/preview", {ticket_id: ticketId}).then(function (res) {
        if (!res.ok) { H.toast(errorText(res)); return; }
        body.value = res.data.body;
        actions.innerHTML = "";
        (res.data.actions.length ? res.data.actions : [{summary: t.noActions}]).forEach(function (a) {
          var li = document.createElement("li");
          li.textContent = a.summary || a.label;
          actions.appendChild(li);
        });
        refusal.hidden = !res.data.refusal;
        refusal.textContent = res.data.refusal ? res.data.refusal.message : "";
        pick.hidden = true;
        preview.hidden = false;
        body.focus();
      });
    }

    function openPicker() {
      if (!dialog.open) { dialog.showModal(); }
      search.value = "";
      showPick();
      load();
    }

    open.addEventListener("click", openPicker);
    if (H && H.shortcuts) { H.shortcuts.m = openPicker; }
    // List the shortcut in the page's keyboard help.
    var helpList = document.querySelector("#help-dialog .shortcuts");
    if (helpList && t.shortcut) {
      var dt = document.createElement("dt");
      var kbd = document.createElement("kbd");
      kbd.textContent = "m";
      dt.appendChild(kbd);
      var dd = document.createElement("dd");
      dd.textContent = t.shortcut;
      helpList.appendChild(dt);
      helpList.appendChild(dd);
    }
    search.addEventListener("input", H.debounce(load, 150));
    search.addEventListener("keydown", function (e) {
      if (e.key === "ArrowDown") { e.preventDefault(); highlight(active + 1); }
      else if (e.key === "ArrowUp") { e.preventDefault(); highlight(active - 1); }
      else if (e.key === "Enter") {
        e.preventDefault();
        var item = options()[active];
        if (item) { choose(item.macro); }
      }
    });
    document.getElementById("macro-back").addEventListener("click", showPick);
    document.getElementById("macro-close").addEventListener("click", function () { dialog.close(); });
    applyButton.addEventListener("click", function () {
      if (!chosen) { return; }
      applyButton.disabled = true;
      api("POST", base + "/" + chosen.id + "/apply", {ticket_id: ticketId, body: body.value}).then(function (res) {
        if (res.ok) {
          dialog.close();
          H.toast(t.applied);
        } else {
          refusal.textContent = errorText(res);
          refusal.hidden = false;
        }
      }).catch(function () {
        refusal.textContent = t.failed;
        refusal.hidden = false;
      }).then(function () { applyButton.disabled = false; });
    });
  }

  /* ---- the bulk bar ------------------------------------------------------ */
  var select = document.getElementById("bulk-macro");
  var bulkButton = document.getElementById("bulk-macro-apply");
  var status = document.getElementById("bulk-macro-status");
  if (select && bulkButton) {
    // The status outlives the bar, which hides when the selection empties.
    var bar = document.getElementById("bulk-form");
    if (bar && status) { bar.parentNode.insertBefore(status, bar.nextSibling); }
    api("GET", select.dataset.macrosApi + "?limit=200").then(function (res) {
      if (!res.ok) { return; }
      res.data.items.forEach(function (macro) {
        var option = document.createElement("option");
        option.value = macro.id;
        option.textContent = macro.name;
        select.appendChild(option);
      });
    });

    function report(job) {
      status.innerHTML = "";
      var line = document.createElement("p");
      var values = {name: job.macro_name, done: job.done, total: job.total, ok: job.succeeded, failed: job.failed};
      line.textContent = H.fmt(job.state === "done" ? t.finished : t.progress, values);
      status.appendChild(line);
      var failures = job.results.filter(function (r) { return !r.ok; });
      if (job.state === "done" && failures.length) {
        var head = document.createElement("p");
        head.textContent = H.fmt(t.someFailed, values);
        status.appendChild(head);
        var ul = document.createElement("ul");
        failures.forEach(function (r) {
          var li = document.createElement("li");
          var a = document.createElement("a");
          a.href = "/t/" + r.ticket_id;
          a.textContent = "#" + r.ticket_id;
          li.appendChild(a);
          li.appendChild(document.createTextNode(" " + r.message));
          ul.appendChild(li);
        });
        status.appendChild(ul);
      }
    }

    function poll(url) {
      api("GET", url).then(function (res) {
        if (!res.ok) { status.textContent = errorText(res); return; }
        report(res.data);
        if (res.data.state !== "done") { setTimeout(function () { poll(url); }, 1000); }
      });
    }

    bulkButton.addEventListener("click", function () {
      if (!select.value) { status.textContent = t.choose; return; }
      var ids = Array.prototype.slice.call(document.querySelectorAll('input[name="ids"]:checked'))
        .map(function (box) { return Number(box.value); });
      bulkButton.disabled = true;
      api("POST", select.dataset.bulkApi, {macro_id: Number(select.value), ticket_ids: ids}).then(function (res) {
        if (!res.ok) { status.textContent = errorText(res); return; }
        report(res.data);
        if (res.data.state !== "done") { poll(select.dataset.bulkApi + "/" + res.data.id); }
      }).catch(function () { status.textContent = t.failed; })
        .then(function () { bulkButton.disabled = false; });
    });
  }
}());
