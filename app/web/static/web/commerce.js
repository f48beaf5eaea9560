/* A customer's orders and events on the ticket page: "N orders" / "N events"
   in the overview panel open their lists in a dialog, where the order menu
   (Edit / Cancel), the metric filter and saved views work without leaving
   the ticket. Every link and form is also a plain page without script. */
(function () {
  "use strict";
  var H = window.Helpline;
  if (!H) { return; }
  var body = document.body;
  var ticketId = Number(body.dataset.ticketId || 0);
  var dialog = null;
  var content = null;

  function ensureDialog() {
    if (dialog) { return; }
    dialog = document.createElement("dialog");
    dialog.id = "commerce-dialog";
    dialog.className = "commerce-dialog";
    dialog.setAttribute("aria-labelledby", "commerce-title");
    content = document.createElement("div");
    dialog.appendChild(content);
    body.appendChild(dialog);
    /* Keys typed in the dialog are not ticket shortcuts (c would close the ticket). */
    dialog.addEventListener("keydown", function (e) { if (e.key !== "Escape") { e.stopPropagation(); } });
    dialog.addEventListener("close", function () { content.innerHTML = ""; });
    dialog.addEventListener("click", onClick);
    dialog.addEventListener("submit", onSubmit);
  }

  function partialUrl(url) {
    var u = new URL(url, window.location.href);
    u.searchParams.set("partial", "1");
    return u.pathname + u.search;
  }

  function load(url) {
    ensureDialog();
    return H.getText(partialUrl(url)).then(function (html) {
      content.innerHTML = html;
      if (!dialog.open) { dialog.showModal(); }
      var first = content.querySelector("input:not([type=hidden]), select, h2");
      if (first) {
        if (first.tagName === "H2") { first.tabIndex = -1; }
        first.focus();
      }
    }).catch(function () { H.toast(H.i18n.loadFailed); });
  }

  function showError(message) {
    var box = content.querySelector("[data-dialog-error]");
    if (box) {
      box.textContent = message;
      box.hidden = false;
    } else {
      H.toast(message);
    }
  }

  function refreshSidebar() {
    if (ticketId) {
      document.dispatchEvent(new CustomEvent("helpline:ticket.updated", {detail: {ticket_id: ticketId}}));
    }
  }

  function send(form) {
    var buttons = form.querySelectorAll("button");
    buttons.forEach(function (b) { b.disabled = true; });
    return H.post(form.action, new FormData(form)).then(function (res) {
      if (res.ok) {
        if (res.data.message) { H.toast(res.data.message); }
        refreshSidebar();
        if (res.data.redirect) { return load(res.data.redirect); }
        dialog.close();
        return null;
      }
      var err = (res.data && res.data.error) || {};
      showError(err.message || H.i18n.loadFailed);
      clearConfirm(form);
      return null;
    }).catch(function () {
      showError(H.i18n.loadFailed);
    }).then(function () {
      buttons.forEach(function (b) { b.disabled = false; });
    });
  }

  function clearConfirm(form) {
    var step = form.querySelector(".confirm-step");
    if (step) { step.remove(); }
    var submit = form.querySelector("button[type=submit]");
    if (submit) { submit.hidden = false; }
  }

  /* A form with data-confirm asks once more, in words, before it is sent. */
  function confirmThen(form) {
    clearConfirm(form);
    var quantity = form.querySelector("[name=quantity]");
    var step = document.createElement("div");
    step.className = "confirm-step";
    step.setAttribute("role", "alertdialog");
    var text = document.createElement("p");
    text.textContent = H.fmt(form.dataset.confirm, {
      title: form.dataset.title, old: form.dataset.old, "new": quantity ? quantity.value : ""
    });
    var yes = document.createElement("button");
    yes.type = "button";
    yes.className = "primary";
    yes.textContent = form.dataset.confirmYes;
    var no = document.createElement("button");
    no.type = "button";
    no.textContent = form.dataset.confirmNo;
    step.appendChild(text);
    step.appendChild(yes);
    step.appendChild(no);
    form.appendChild(step);
    form.querySelector("button[type=submit]").hidden = true;
    yes.addEventListener("click", function () { send(form); });
    no.addEventListener("click", function () { clearConfirm(form); });
    yes.focus();
  }

  function onSubmit(e) {
    var form = e.target;
    if (form.matches("[data-dialog-get]")) {
      e.preventDefault();
      var url = new URL(form.action, window.location.href);
      new FormData(form).forEach(function (value, key) { if (value) { url.searchParams.set(key, value); } });
      load(url.pathname + url.search);
    } else if (form.matches("[data-dialog-form]")) {
      e.preventDefault();
      if (form.dataset.confirm) { confirmThen(form); } else { send(form); }
    }
  }

  function onClick(e) {
    var link = e.target.closest("a[data-dialog-link]");
    if (!link) { return; }
    e.preventDefault();
    var menu = link.closest("details");
    if (menu) { menu.open = false; }
    load(link.href);
  }

  /* The panel is re-rendered when the ticket changes: listen on the document. */
  document.addEventListener("click", function (e) {
    var link = e.target.closest("a[data-commerce-open]");
    if (!link) { return; }
    e.preventDefault();
    load(link.href);
  });
}());
