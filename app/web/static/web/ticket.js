/* The ticket page: composer tabs and sending, live thread, typing signals,
   "load older", sidebar refresh, and r/n/c/j/k shortcuts (the sidebar's
   menus and their s/a shortcuts are sidebar.js). */
(function () {
  "use strict";
  var H = window.Helpline;
  var body = document.body;
  var ticketId = Number(body.dataset.ticketId);
  var thread = document.getElementById("thread");
  var form = document.getElementById("composer");
  var text = document.getElementById("composer-text");
  var modeInput = document.getElementById("composer-mode");
  var submit = document.getElementById("composer-submit");
  var refusal = document.getElementById("composer-refusal");
  var initialRefusal = refusal.hidden ? "" : refusal.textContent;
  var typingBox = document.getElementById("typing-indicator");
  var tabs = Array.prototype.slice.call(document.querySelectorAll(".composer-tabs [role=tab]"));

  function setMode(mode, focus) {
    modeInput.value = mode;
    form.classList.toggle("is-note", mode === "note");
    tabs.forEach(function (tab) {
      var on = tab.dataset.mode === mode;
      tab.setAttribute("aria-selected", on ? "true" : "false");
      tab.tabIndex = on ? 0 : -1;
    });
    text.placeholder = text.dataset["placeholder" + (mode === "note" ? "Note" : "Reply")];
    submit.textContent = submit.dataset["label" + (mode === "note" ? "Note" : "Reply")];
    // A refusal concerns replies only: notes are always possible.
    refusal.hidden = mode === "note" || !initialRefusal;
    if (mode !== "note" && initialRefusal) { refusal.textContent = initialRefusal; }
    if (focus) { text.focus(); }
  }
  tabs.forEach(function (tab) {
    tab.addEventListener("click", function () { setMode(tab.dataset.mode, true); });
    tab.addEventListener("keydown", function (e) {
      if (e.key === "ArrowRight" || e.key === "ArrowLeft") {
        var next = tabs[(tabs.indexOf(tab) + 1) % tabs.length];
        setMode(next.dataset.mode, false);
        next.focus();
      }
    });
  });

  function lastId() {
    var items = thread.querySelectorAll("[data-message-id]");
    return items.length ? Number(items[items.length - 1].dataset.messageId) : 0;
  }

  function scrollToEnd() { thread.lastElementChild && thread.lastElementChild.scrollIntoView({block: "end"}); }

  var loading = false;
  var again = false;
  function loadNew() {
    if (loading) { again = true; return; }
    loading = true;
    H.getJSON(body.dataset.messages + "?after=" + lastId()).then(function (json) {
      var holder = document.createElement("ol");
      holder.innerHTML = json.html;
      Array.prototype.slice.call(holder.children).forEach(function (li) {
        if (!document.getElementById(li.id)) { thread.appendChild(li); }
      });
      scrollToEnd();
      if (json.more) { again = true; }
      Object.keys(pendingUpdates).forEach(refreshMessage);
    }).catch(function () {}).then(function () {
      loading = false;
      if (again) { again = false; loadNew(); }
    });
  }

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    if (!text.value.trim()) { text.focus(); return; }
    submit.disabled = true;
    H.post(form.action, new FormData(form)).then(function (res) {
      if (res.ok) {
        text.value = "";
        if (modeInput.value === "reply") { initialRefusal = ""; refusal.hidden = true; }
        loadNew();
      } else {
        var err = (res.data && res.data.error) || {};
        refusal.textContent = err.message || H.i18n.loadFailed;
        refusal.hidden = false;
      }
    }).catch(function () {
      refusal.textContent = H.i18n.loadFailed;
      refusal.hidden = false;
    }).then(function () { submit.disabled = false; });
  });

  /* Ctrl+Enter (Cmd+Enter) sends from the text box. */
  text.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); form.requestSubmit(); }
  });

  /* Tell others this agent is typing, at most every 3 s. */
  var lastTyping = 0;
  text.addEventListener("input", function () {
    var now = Date.now();
    if (now - lastTyping > 3000 && text.value) {
      lastTyping = now;
      H.post(body.dataset.typing, {}).catch(function () {});
    }
  });

  var older = document.getElementById("load-older");
  if (older) {
    older.addEventListener("click", function () {
      H.getJSON(body.dataset.messages + "?before=" + older.dataset.before).then(function (json) {
        thread.insertAdjacentHTML("afterbegin", json.html);
        if (json.ids.length) { older.dataset.before = json.ids[0]; }
        older.hidden = !json.more;
      }).catch(function () { H.toast(H.i18n.loadFailed); });
    });
  }

  function mine(e) { return e.detail && Number(e.detail.ticket_id) === ticketId; }

  document.addEventListener("helpline:message.created", function (e) {
    if (!mine(e)) { return; }
    loadNew();
    if (e.detail.direction === "inbound") {
      hideTyping();
      H.post(body.dataset.read, {}).catch(function () {});
    }
  });

  /* A delivery update may overtake the message itself: remember it and
     apply it once the message is on the page. */
  var pendingUpdates = {};
  function refreshMessage(id) {
    var old = document.getElementById("message-" + id);
    if (!old) { pendingUpdates[id] = true; return; }
    delete pendingUpdates[id];
    H.getText(body.dataset.messages + "/" + id).then(function (html) {
      var holder = document.createElement("ol");
      holder.innerHTML = html;
      var current = document.getElementById("message-" + id);
      if (holder.firstElementChild && current) { current.replaceWith(holder.firstElementChild); }
    }).catch(function () {});
  }
  document.addEventListener("helpline:message.updated", function (e) {
    if (mine(e)) { refreshMessage(e.detail.message_id); }
  });

  var sidebar = document.getElementById("sidebar");
  var sidebarStale = false;
  function sidebarBusy() {
    // Never close a menu or picker the agent is using, nor take a field
    // they are typing in.
    if (sidebar.contains(document.activeElement) && document.activeElement.tagName !== "BUTTON") { return true; }
    return Boolean(sidebar.querySelector("[aria-expanded=true]"));
  }
  var refreshSidebar = H.debounce(function () {
    if (sidebarBusy()) { sidebarStale = true; return; }
    H.getText(body.dataset.sidebar).then(function (html) {
      // A menu opened while the request was on its way: keep it, refresh later.
      if (sidebarBusy()) { sidebarStale = true; return; }
      sidebarStale = false;
      sidebar.innerHTML = html;
      var state = sidebar.querySelector("[data-ticket-status]");
      var chip = document.getElementById("ticket-status");
      if (state && chip) {
        chip.textContent = state.textContent;
        chip.className = "status status-" + state.dataset.ticketStatus;
      }
    }).catch(function () {});
  }, 200);
  document.addEventListener("helpline:ticket.updated", function (e) { if (mine(e)) { refreshSidebar(); } });
  // What was skipped while the agent used a menu is fetched once they are done.
  ["focusout", "click", "keyup"].forEach(function (type) {
    document.addEventListener(type, function () {
      if (sidebarStale) { setTimeout(function () { if (sidebarStale && !sidebarBusy()) { refreshSidebar(); } }, 0); }
    });
  });

  var typingTimer = null;
  function hideTyping() { typingBox.hidden = true; typingBox.textContent = ""; }
  document.addEventListener("helpline:typing", function (e) {
    if (!mine(e)) { return; }
    var d = e.detail;
    if (d.who === "agent" && Number(d.agent_id) === H.me) { return; }
    typingBox.textContent = d.who === "agent" ? H.fmt(H.i18n.agentTyping, {name: d.name || ""}) : H.i18n.typing;
    typingBox.hidden = false;
    clearTimeout(typingTimer);
    typingTimer = setTimeout(hideTyping, 6000);
  });

  H.shortcuts.r = function () { setMode("reply", true); };
  H.shortcuts.n = function () { setMode("note", true); };
  H.shortcuts.c = function () { var b = document.getElementById("close-button"); if (b) { b.click(); } };
  H.shortcuts.j = function () { if (body.dataset.next) { window.location.href = body.dataset.next; } };
  H.shortcuts.k = function () { if (body.dataset.previous) { window.location.href = body.dataset.previous; } };

  setMode("reply", false);
  scrollToEnd();
}());
