/* The ticket page: composer tabs and sending, live thread, who else is
   viewing or typing (ticket presence), the "another agent replied while you
   were writing" warning, "load older", sidebar refresh, and r/n/c/j/k
   shortcuts (the sidebar's menus and their s/a shortcuts are sidebar.js). */
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
  var afterInput = document.getElementById("composer-after");
  var newerBox = document.getElementById("newer-reply");
  var newerText = document.getElementById("newer-reply-text");
  var newerLink = document.getElementById("newer-reply-link");
  var ticketData = document.getElementById("ticket-i18n");
  var T = ticketData ? JSON.parse(ticketData.textContent) : {};
  // "Send anyway": the page showed another agent's reply after the draft began.
  var anyway = submit.dataset.anyway === "1";
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
    submit.textContent = mode === "note" ? submit.dataset.labelNote
      : (anyway ? submit.dataset.labelAnyway : submit.dataset.labelReply);
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

  /* ---- another agent replied while this one was writing ---------------- */
  function hasDraft() { return text.value.trim() !== ""; }
  function newestShown() {
    var newest = 0;
    thread.querySelectorAll("[data-message-id]").forEach(function (li) {
      newest = Math.max(newest, Number(li.dataset.messageId));
    });
    return newest;
  }
  function showNewer(message, id) {
    newerText.textContent = message;
    newerLink.href = "#message-" + id;
    newerBox.hidden = false;
  }
  function clearNewer() {
    newerBox.hidden = true;
    anyway = false;
    setMode(modeInput.value, false);
  }
  /* Messages just added to the thread: while the composer is empty the
     form follows them (the agent starts writing after reading them); once
     a draft exists, a reply or note by another agent is announced above it. */
  function arrived(items) {
    if (!hasDraft()) { afterInput.value = newestShown(); return; }
    items.forEach(function (li) {
      var author = Number(li.dataset.authorAgentId || 0);
      if (!author || author === H.me) { return; }
      var isReply = li.dataset.kind === "message" && li.dataset.direction === "outbound";
      if (!isReply && li.dataset.kind !== "note") { return; }
      var who = li.querySelector(".msg-author");
      var name = who ? who.textContent.trim() : "";
      showNewer(H.fmt(isReply ? T.replied : T.noted, {name: name}), li.dataset.messageId);
    });
  }
  newerLink.addEventListener("click", function (e) {
    var target = document.getElementById(newerLink.getAttribute("href").slice(1));
    if (!target) { return; }
    e.preventDefault();
    target.scrollIntoView({block: "center"});
    target.setAttribute("tabindex", "-1");
    target.focus();
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
      var added = [];
      Array.prototype.slice.call(holder.children).forEach(function (li) {
        if (!document.getElementById(li.id)) { thread.appendChild(li); added.push(li); }
      });
      arrived(added);
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
    var data = new FormData(form);
    // The composer empties at once, so the agent can write the next message
    // while this one is on its way; a refused send puts the text back.
    var sent = text.value;
    var sentMode = modeInput.value;
    text.value = "";
    function restore() {
      text.value = text.value.trim() ? sent + "\n" + text.value : sent;
    }
    H.post(form.action, data).then(function (res) {
      if (res.ok) {
        // Plugins' composer tools (the email plugin's files) reset on this.
        form.dispatchEvent(new CustomEvent("helpline:composer-sent", {detail: {mode: sentMode}}));
        if (sentMode === "reply") { initialRefusal = ""; refusal.hidden = true; }
        clearNewer();
        loadNew();
      } else if (res.status === 409 && res.data && res.data.error && res.data.error.code === "newer_reply") {
        // Keep the draft; the next send (with the newer reply's id) goes out.
        restore();
        var newer = res.data.error.newer || {};
        showNewer(res.data.error.message, newer.id);
        afterInput.value = newer.id;
        anyway = true;
        setMode(modeInput.value, false);
        loadNew();
      } else {
        restore();
        var err = (res.data && res.data.error) || {};
        refusal.textContent = err.message || H.i18n.loadFailed;
        refusal.hidden = false;
      }
    }).catch(function () {
      restore();
      refusal.textContent = H.i18n.loadFailed;
      refusal.hidden = false;
    }).then(function () { submit.disabled = false; });
  });

  /* Ctrl+Enter (Cmd+Enter) sends from the text box. */
  text.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); form.requestSubmit(); }
  });

  /* ---- ticket presence: what this agent does here, and who else is here -- */
  var presenceUrl = body.dataset.ticketPresence;
  var ttl = {viewing: Number(body.dataset.presenceViewingTtl || 45) * 1000,
             typing: Number(body.dataset.presenceTypingTtl || 8) * 1000};
  var heartbeat = Number(body.dataset.presenceHeartbeat || 20) * 1000;
  var presenceLine = document.getElementById("ticket-presence");
  function announce(state) {
    H.post(presenceUrl, {state: state}).catch(function () {});
  }
  /* On leaving, a beacon outlives the page (the CSRF token rides in the form). */
  function leave() {
    var data = new FormData();
    data.append("state", "left");
    data.append("csrf_token", H.csrf);
    if (!(navigator.sendBeacon && navigator.sendBeacon(presenceUrl, data))) { announce("left"); }
  }
  function visible() { return document.visibilityState !== "hidden"; }
  if (visible()) { announce("viewing"); }
  setInterval(function () { if (visible()) { announce("viewing"); } }, heartbeat);
  document.addEventListener("visibilitychange", function () {
    if (visible()) { announce("viewing"); } else { leave(); }
  });
  window.addEventListener("pagehide", leave);

  /* Typing: at most one signal every 3 s while keys are pressed (others
     drop it after a few seconds without one). */
  var lastTyping = 0;
  text.addEventListener("input", function () {
    var now = Date.now();
    if (!hasDraft()) {
      // An emptied composer starts over: what is shown now is what was read.
      afterInput.value = newestShown();
      if (!newerBox.hidden) { clearNewer(); }
      return;
    }
    if (now - lastTyping > 3000) {
      lastTyping = now;
      announce("typing");
    }
  });

  // agent id -> {name, viewing: expiry ms, typing: expiry ms}
  var others = {};
  var renderTimer = null;
  function names(list) {
    try {
      return new Intl.ListFormat(document.documentElement.lang || undefined,
                                 {style: "long", type: "conjunction"}).format(list);
    } catch (e) {
      return list.join(", ");
    }
  }
  function renderPresence() {
    clearTimeout(renderTimer);
    var now = Date.now();
    var typing = [];
    var viewing = [];
    var next = Infinity;
    Object.keys(others).forEach(function (id) {
      var o = others[id];
      if (o.typing > now) { typing.push(o.name); next = Math.min(next, o.typing); }
      else if (o.viewing > now) { viewing.push(o.name); }
      if (o.viewing > now) { next = Math.min(next, o.viewing); }
      else if (!(o.typing > now)) { delete others[id]; }
    });
    var parts = [];
    if (typing.length) { parts.push(H.fmt(typing.length === 1 ? T.typingOne : T.typingMany, {names: names(typing)})); }
    if (viewing.length) { parts.push(H.fmt(viewing.length === 1 ? T.viewingOne : T.viewingMany, {names: names(viewing)})); }
    var line = parts.join(" ");
    if (presenceLine.textContent !== line) { presenceLine.textContent = line; }
    if (next !== Infinity) { renderTimer = setTimeout(renderPresence, next - now + 50); }
  }
  document.addEventListener("helpline:ticket.presence", function (e) {
    if (!mine(e)) { return; }
    var d = e.detail;
    var id = Number(d.agent_id);
    if (!id || id === H.me) { return; }
    var now = Date.now();
    if (d.state === "left") {
      delete others[id];
    } else {
      var known = others[id];
      var o = known || {viewing: 0, typing: 0};
      o.name = d.name || "";
      // Typing implies viewing; a heartbeat leaves a recent typing signal be.
      o.viewing = now + ttl.viewing;
      if (d.state === "typing") { o.typing = now + ttl.typing; }
      others[id] = o;
      // A newcomer learns at once who was already here (not at our next
      // heartbeat): a page answers a name it did not know. Answers only go
      // to names not known yet, so this ends after one round.
      if (!known && visible()) { announce("viewing"); }
    }
    renderPresence();
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

  /* The customer typing (web chat); agents typing are the presence line. */
  var typingTimer = null;
  function hideTyping() { typingBox.hidden = true; typingBox.textContent = ""; }
  document.addEventListener("helpline:typing", function (e) {
    if (!mine(e) || e.detail.who === "agent") { return; }
    typingBox.textContent = H.i18n.typing;
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
