/* Helpline agent UI: shared behaviour for every page (CSRF-aware requests,
   the live event stream, nav counts, presence heartbeat, toasts, shortcuts).
   Plain JavaScript, no library. */
(function () {
  "use strict";
  var body = document.body;
  var i18nData = document.getElementById("helpline-i18n");
  var i18n = i18nData ? JSON.parse(i18nData.textContent) : {};
  var csrfMeta = document.querySelector('meta[name="csrf-token"]');
  var csrf = csrfMeta ? csrfMeta.getAttribute("content") : "";
  var me = Number(body.dataset.agentId || 0);

  function fmt(text, values) {
    return String(text || "").replace(/\{(\w+)\}/g, function (_, key) {
      return values && values[key] !== undefined ? values[key] : "";
    });
  }

  /* Send a request with the session cookie and CSRF header; resolves to
     {ok, status, data} with the parsed JSON answer ({} when there is none). */
  function send(method, url, body, headers) {
    var all = {"X-CSRFToken": csrf, "Accept": "application/json"};
    Object.keys(headers || {}).forEach(function (k) { all[k] = headers[k]; });
    return fetch(url, {method: method, body: body, credentials: "same-origin", headers: all})
      .then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (json) {
          return {ok: response.ok, status: response.status, data: json};
        });
      });
  }

  /* POST form data (an object or FormData) to a UI endpoint. */
  function post(url, data) {
    var form = data instanceof FormData ? data : new FormData();
    if (!(data instanceof FormData)) {
      Object.keys(data || {}).forEach(function (k) { form.append(k, data[k]); });
    }
    return send("POST", url, form);
  }

  /* Call a JSON API (/api/v1/...): ``data``, when given, is sent as JSON. */
  function api(method, url, data) {
    if (data === undefined) { return send(method, url); }
    return send(method, url, JSON.stringify(data), {"Content-Type": "application/json"});
  }

  function getJSON(url) {
    return fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); });
  }

  function getText(url) {
    return fetch(url, {credentials: "same-origin"})
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.text(); });
  }

  /* A short message in the toast area (a polite live region of its own,
     never over the page's content): a link when ``href`` is given, with a
     button to dismiss it; it goes away by itself after 15 s. */
  function toast(text, href) {
    var box = document.getElementById("toasts");
    if (!box) { return; }
    var item = document.createElement("div");
    item.className = "toast";
    var message = document.createElement(href ? "a" : "span");
    message.className = "toast-text";
    message.textContent = text;
    if (href) { message.href = href; }
    var close = document.createElement("button");
    close.type = "button";
    close.className = "toast-close";
    close.setAttribute("aria-label", (i18n.dismiss || "Dismiss") + ": " + text);
    // The × is drawn by CSS, so the toast's text is only its message.
    close.addEventListener("click", function () { item.remove(); });
    item.appendChild(message);
    item.appendChild(close);
    box.appendChild(item);
    // Only the newest few stay: older ones are in the list anyway.
    while (box.children.length > 3) { box.removeChild(box.firstElementChild); }
    setTimeout(function () { item.remove(); }, 15000);
  }

  function debounce(fn, ms) {
    var timer = null;
    return function () {
      clearTimeout(timer);
      timer = setTimeout(fn, ms);
    };
  }

  /* ---- live events ---------------------------------------------------- */
  var liveStatus = document.getElementById("live-status");
  function emit(type, data) {
    document.dispatchEvent(new CustomEvent("helpline:" + type, {detail: data}));
  }
  var TYPES = ["ticket.created", "ticket.updated", "message.created", "message.updated", "presence",
               "mention", "alert", "plugins.changed", "typing", "notification", "notification.read",
               "ticket.presence"];
  var source = null;
  function connect() {
    if (!body.dataset.stream || !window.EventSource) { return; }
    source = new EventSource(body.dataset.stream);
    source.onopen = function () {
      if (liveStatus) { liveStatus.textContent = i18n.live || ""; }
      body.dataset.live = "1";
    };
    source.onerror = function () {
      if (liveStatus) { liveStatus.textContent = i18n.reconnecting || ""; }
      body.dataset.live = "0";
    };
    TYPES.forEach(function (type) {
      source.addEventListener(type, function (event) {
        var data = {};
        try { data = JSON.parse(event.data); } catch (e) { return; }
        emit(type, data);
      });
    });
  }
  window.addEventListener("beforeunload", function () { if (source) { source.close(); } });

  /* ---- navigation counts and the unread badge -------------------------- */
  var refreshCounts = debounce(function () {
    if (!body.dataset.counts) { return; }
    getJSON(body.dataset.counts).then(function (json) {
      Object.keys(json.counts || {}).forEach(function (key) {
        var el = document.querySelector('[data-count="' + key + '"]');
        if (el) { el.textContent = (json.shown || {})[key] || json.counts[key]; }
      });
      var badge = document.getElementById("unread-badge");
      if (badge) {
        badge.hidden = !json.unread_badge;
        var number = badge.querySelector("[data-unread]");
        if (number && json.unread !== null) { number.textContent = json.unread; }
      }
    }).catch(function () { /* the next event retries */ });
  }, 250);
  ["ticket.created", "ticket.updated", "message.created", "plugins.changed"].forEach(function (type) {
    document.addEventListener("helpline:" + type, refreshCounts);
  });

  /* ---- notifications for me ------------------------------------------- */
  document.addEventListener("helpline:mention", function (e) {
    var d = e.detail || {};
    if (Number(d.agent_id) !== me) { return; }
    toast(fmt(i18n.mention, {by: d.by, id: d.ticket_id}), "/t/" + d.ticket_id);
  });
  document.addEventListener("helpline:alert", function (e) {
    var d = e.detail || {};
    if (Number(d.agent_id) !== me) { return; }
    toast(fmt(i18n.alert, {id: d.ticket_id}), "/t/" + d.ticket_id);
  });

  /* ---- presence: the switch and a heartbeat every 30 s ------------------ */
  var presence = document.querySelector("[data-presence]");
  if (presence && body.dataset.presenceUrl) {
    presence.addEventListener("change", function () {
      post(body.dataset.presenceUrl, {presence: presence.value});
    });
    var beat = function () { post(body.dataset.presenceUrl, {}).catch(function () {}); };
    beat();
    setInterval(beat, 30000);
  }

  /* ---- keyboard shortcuts ------------------------------------------------ */
  var help = document.getElementById("help-dialog");
  function openHelp() { if (help && !help.open) { help.showModal(); } }
  document.querySelectorAll("[data-help]").forEach(function (b) { b.addEventListener("click", openHelp); });
  var shortcuts = {"?": openHelp};
  function typingInField(target) {
    var tag = (target.tagName || "").toLowerCase();
    return tag === "input" || tag === "textarea" || tag === "select" || target.isContentEditable;
  }
  document.addEventListener("keydown", function (e) {
    if (e.key === "Escape" && typingInField(e.target)) { e.target.blur(); return; }
    if (e.ctrlKey || e.metaKey || e.altKey || typingInField(e.target)) { return; }
    if (help && help.open) { return; }
    var handler = shortcuts[e.key];
    if (handler) { e.preventDefault(); handler(e); }
  });

  window.Helpline = {post: post, api: api, getJSON: getJSON, getText: getText, toast: toast, fmt: fmt,
                     debounce: debounce, shortcuts: shortcuts, i18n: i18n, me: me, csrf: csrf};
  connect();
}());
