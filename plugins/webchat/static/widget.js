/* Helpline web chat widget: plain JavaScript, no dependencies, in a shadow
 * root (the storefront's CSS cannot break it, ours cannot leak out).
 * Embedding, signed customers, storage: docs/channels/webchat.md. */
(function () {
  "use strict";
  var script = document.currentScript ||
    document.querySelector('script[src*="/webchat/widget.js"][data-key]');
  if (!script || window.__helplineWebchat) { return; }
  window.__helplineWebchat = true;

  var KEY = script.getAttribute("data-key") || "";
  var BASE = script.src.replace(/\/webchat\/widget\.js.*$/, "");
  var API = BASE + "/api/v1/webchat";
  var STORE = "helpline-webchat:" + KEY;
  var OPEN_STORE = STORE + ":open";
  var HEARTBEAT_MS = 25000, TYPING_EVERY_MS = 3000, AGENT_TYPING_MS = 5000;
  var ACK_DELAY_MS = 300;  // one confirmation for a burst of replies

  var state = load();
  var labels = {};
  var shown = {};          // message ids already on screen
  var rendered = 0;        // highest message id on screen: a new page shows the history first
  var replies = [];        // ids of agent and bot messages on screen (unread: above state.seen)
  var signedIdentity = readIdentity();
  var source = null, heartbeatTimer = null, typingSentAt = 0, agentTypingTimer = null, ackTimer = null;
  var host, root, tab, tabText, badge, unreadBefore, unreadAfter, announcer, panel, log, typingLine, statusLine, nameInput, emailInput,
    identity, textarea, form;

  function load() {
    try { return JSON.parse(localStorage.getItem(STORE)) || {}; } catch (e) { return {}; }
  }
  function save() {
    try { localStorage.setItem(STORE, JSON.stringify(state)); } catch (e) { /* private mode */ }
  }
  function wasOpen() {
    try { return sessionStorage.getItem(OPEN_STORE) === "1"; } catch (e) { return false; }
  }
  function rememberOpen(open) {
    try { sessionStorage.setItem(OPEN_STORE, open ? "1" : "0"); } catch (e) { /* private mode */ }
  }

  // The shop's signature of its customer (the server checks it).
  function readIdentity() {
    var chat = window.HelplineChat;  // identify() (even null) overrides the tag
    var found = chat && "identity" in chat ? chat.identity : {
      customer_id: script.getAttribute("data-customer-id") || "",
      email: script.getAttribute("data-customer-email") || "",
      timestamp: script.getAttribute("data-timestamp") || "",
      signature: script.getAttribute("data-signature") || ""
    };
    if (!found || !found.signature) { return null; }
    return {customer_id: String(found.customer_id || ""), email: String(found.email || ""),
            timestamp: String(found.timestamp || ""), signature: String(found.signature)};
  }
  // Whose the stored chat is: another customer on this browser never sees it.
  function whoOf(ident) { return ident ? ident.customer_id + "|" + ident.email : ""; }
  function randomId() {
    var a = new Uint8Array(12);
    window.crypto.getRandomValues(a);
    return Array.prototype.map.call(a, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }
  function request(method, path, body) {
    var headers = {"Content-Type": "application/json"};
    if (state.token) { headers["X-Webchat-Token"] = state.token; }
    return fetch(API + path, {method: method, headers: headers, mode: "cors",
                              body: body === undefined ? undefined : JSON.stringify(body)})
      .then(function (r) {
        if (r.status === 204) { return {}; }
        return r.json().then(function (data) {
          if (!r.ok) {
            var err = new Error((data.error && data.error.message) || r.statusText);
            err.status = r.status;
            err.fields = (data.error && data.error.fields) || {};
            throw err;
          }
          return data;
        });
      });
  }
  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text) { node.textContent = text; }
    return node;
  }

  var CSS = [
    ":host{all:initial}",
    "*{box-sizing:border-box;font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;font-size:14px}",
    ".tab{position:fixed;right:20px;bottom:20px;z-index:2147483000;border:0;border-radius:24px;",
    "padding:12px 18px;background:var(--c);color:var(--t);cursor:pointer;box-shadow:0 2px 10px rgba(0,0,0,.25)}",
    ".tab:focus-visible,button:focus-visible,textarea:focus-visible,input:focus-visible{outline:3px solid #ffbf47;outline-offset:2px}",
    ".panel{position:fixed;right:20px;bottom:76px;z-index:2147483000;width:340px;max-width:calc(100vw - 40px);",
    "height:460px;max-height:calc(100vh - 100px);display:flex;flex-direction:column;background:#fff;color:#1b1b1b;",
    "border-radius:10px;box-shadow:0 6px 24px rgba(0,0,0,.3);overflow:hidden}",
    ".head{background:var(--c);color:var(--t);padding:10px 12px;display:flex;align-items:center;gap:8px}",
    ".head h2{margin:0;font-size:16px}",
    ".titles{flex:1}",
    ".status{font-size:12px}",
    // A 44x44 touch target (WCAG 2.2 asks 24x24 at least), its margin keeping the header's height.
    ".close{background:transparent;border:0;color:var(--t);font-size:24px;cursor:pointer;line-height:1;",
    "min-width:44px;min-height:44px;margin:-10px -8px -10px 0;padding:0;border-radius:6px}",
    ".log{margin:0;padding:10px;flex:1;overflow-y:auto;display:flex;flex-direction:column;gap:6px}",
    ".msg{max-width:80%;padding:7px 10px;border-radius:12px;white-space:pre-wrap;word-wrap:break-word}",
    ".msg.visitor{align-self:flex-end;background:var(--c);color:var(--t)}",
    ".msg.agent,.msg.bot{align-self:flex-start;background:#eef0f3}",
    ".msg .who{display:block;font-size:11px;opacity:.7}",
    ".msg.pending{opacity:.6}",
    ".notice{align-self:center;font-size:12px;color:#555}",
    ".typing{padding:0 12px 4px;font-size:12px;color:#555;min-height:16px}",
    // Side by side while both placeholders fit (12em each), one under the other below that.
    ".identity{display:flex;flex-wrap:wrap;gap:6px;padding:6px 10px 0}",
    ".identity input{flex:1 1 12em;min-width:0;padding:6px;border:1px solid #bbb;border-radius:6px}",
    "input[aria-invalid=true],textarea[aria-invalid=true]{border:2px solid #b42318}",
    "form.compose{display:flex;gap:6px;padding:8px 10px 10px;border-top:1px solid #eee}",
    "textarea{flex:1;resize:none;height:44px;padding:8px;border:1px solid #bbb;border-radius:6px}",
    // 16px at least: iPhone Safari zooms the whole page into a smaller field on focus.
    "input,textarea{font-size:16px}",
    ".send{border:0;border-radius:6px;padding:0 14px;background:var(--c);color:var(--t);cursor:pointer}",
    ".badge{display:inline-block;min-width:20px;margin-left:8px;padding:1px 6px;border-radius:10px;",
    "background:#b42318;color:#fff;font-size:12px;font-weight:bold;text-align:center}",
    ".panel[hidden],.identity[hidden],.badge[hidden]{display:none}",
    ".sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}"
  ].join("");

  function build(config) {
    labels = config.labels || {};
    host = el("div", {"id": "helpline-webchat"});
    root = host.attachShadow ? host.attachShadow({mode: "open"}) : host;
    // A stylesheet object, not <style>: a storefront's CSP may refuse inline styles.
    var sheet = root.adoptedStyleSheets && window.CSSStyleSheet && new CSSStyleSheet();
    if (sheet && sheet.replaceSync) { sheet.replaceSync(CSS); root.adoptedStyleSheets = [sheet]; }
    else { var style = el("style"); style.textContent = CSS; root.appendChild(style); }
    host.style.setProperty("--c", config.color);
    host.style.setProperty("--t", config.text_color);

    tab = el("button", {"class": "tab", "type": "button", "aria-expanded": "false",
                        "aria-controls": "hl-panel"});
    tabText = el("span", {}, config.title);
    // Name "Chat with us, 2 unread": contains the visible text (axe).
    unreadBefore = el("span", {"class": "sr"});
    badge = el("span", {"class": "badge", "hidden": ""});
    unreadAfter = el("span", {"class": "sr"});
    tab.appendChild(tabText); tab.appendChild(unreadBefore); tab.appendChild(badge); tab.appendChild(unreadAfter);
    // Says "new reply" to screen readers while the panel is closed.
    announcer = el("div", {"class": "sr", "role": "status"});
    panel = el("section", {"class": "panel", "id": "hl-panel", "role": "dialog",
                           "aria-label": config.title, "hidden": ""});
    var header = el("div", {"class": "head"});
    var titles = el("div", {"class": "titles"});
    titles.appendChild(el("h2", {}, config.title));
    statusLine = el("div", {"class": "status", "role": "status"});
    titles.appendChild(statusLine);
    header.appendChild(titles);
    var close = el("button", {"class": "close", "type": "button", "aria-label": labels.close}, "\u00d7");
    header.appendChild(close);
    log = el("div", {"class": "log", "role": "log", "aria-live": "polite", "aria-label": labels.conversation});
    typingLine = el("div", {"class": "typing", "aria-live": "polite"});
    identity = el("div", {"class": "identity"});
    nameInput = el("input", {"type": "text", "autocomplete": "name", "maxlength": "200",
                             "placeholder": labels.name, "aria-label": labels.name});
    emailInput = el("input", {"type": "email", "autocomplete": "email", "maxlength": "254",
                              "placeholder": labels.email, "aria-label": labels.email});
    identity.appendChild(nameInput); identity.appendChild(emailInput);
    form = el("form", {"class": "compose"});
    var textLabel = el("label", {"class": "sr", "for": "hl-text"}, labels.message);
    textarea = el("textarea", {"id": "hl-text", "maxlength": "4000", "placeholder": labels.placeholder});
    var send = el("button", {"class": "send", "type": "submit"}, labels.send);
    form.appendChild(textLabel); form.appendChild(textarea); form.appendChild(send);
    panel.appendChild(header); panel.appendChild(log); panel.appendChild(typingLine);
    panel.appendChild(identity); panel.appendChild(form);
    root.appendChild(tab); root.appendChild(announcer); root.appendChild(panel);
    document.body.appendChild(host);

    setAvailable(config.available);
    if (state.cid || signedIdentity) { identity.hidden = true; }
    tab.addEventListener("click", function () { panel.hidden ? openPanel(true) : closePanel(); });
    close.addEventListener("click", closePanel);
    panel.addEventListener("keydown", function (e) { if (e.key === "Escape") { closePanel(); } });
    form.addEventListener("submit", function (e) { e.preventDefault(); submit(); });
    textarea.addEventListener("keydown", function (e) {
      if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); submit(); }
    });
    textarea.addEventListener("input", typing);
    panel.addEventListener("input", function (e) { e.target.removeAttribute("aria-invalid"); });
    document.addEventListener("visibilitychange", function () { if (isVisible()) { markSeen(); } });
    window.addEventListener("storage", fromOtherTab);
    if (wasOpen()) { openPanel(false); }
    if (state.cid) { connect(); }
  }

  function setAvailable(available) {
    statusLine.textContent = available ? labels.available : labels.away;
    host.setAttribute("data-available", available ? "yes" : "no");
  }

  // A panel restored on a new page does not take the page's focus.
  function openPanel(focus) {
    panel.hidden = false;
    tab.setAttribute("aria-expanded", "true");
    rememberOpen(true);
    if (focus) { textarea.focus(); }
    markSeen();
    if (state.cid) { connect(); }
  }

  // Minimising keeps the stream: replies still arrive and count as unread.
  function closePanel() {
    panel.hidden = true;
    tab.setAttribute("aria-expanded", "false");
    rememberOpen(false);
    tab.focus();
  }

  // A reply is seen only when it is on screen: the panel open in a visible tab.
  function isVisible() {
    return panel && !panel.hidden && document.visibilityState !== "hidden";
  }

  function unread() {
    var seen = state.seen || 0;
    return replies.filter(function (id) { return id > seen; }).length;
  }

  function showUnread() {
    var count = unread();
    var words = (labels.unread || "{n}").split("{n}");
    badge.textContent = count ? String(count) : "";
    badge.hidden = !count;
    unreadBefore.textContent = count ? ", " + words[0] : "";
    unreadAfter.textContent = count ? (words[1] || "") : "";
  }

  // On screen is seen: stored for other pages, confirmed to the server.
  function markSeen() {
    if (!isVisible() || !state.cid) { showUnread(); return; }
    if (rendered > (state.seen || 0)) {
      var news = unread();  // only a new reply is worth a request
      state.seen = rendered; save();
      if (news) { acknowledge(); }
    }
    showUnread();
  }

  function fromOtherTab(e) {
    if (e.key !== STORE) { return; }
    var other = load();
    if (other.cid === state.cid && (other.seen || 0) > (state.seen || 0)) {
      state.seen = other.seen;
      showUnread();
    }
  }

  function render(m) {
    if (m.id && shown[m.id]) { return; }
    var node = m.client_id ? log.querySelector('[data-client-id="' + m.client_id + '"]') : null;
    if (!node) {
      node = el("div", {"class": "msg " + m.from});
      if (m.from !== "visitor") {
        node.appendChild(el("span", {"class": "who"}, m.name || (m.from === "bot" ? labels.bot : labels.team)));
      }
      node.appendChild(document.createTextNode(m.text));
      if (m.client_id) { node.setAttribute("data-client-id", m.client_id); }
      log.appendChild(node);
    }
    if (m.id) {
      shown[m.id] = true;
      node.setAttribute("data-id", m.id);
      node.classList.remove("pending");
      if (m.id > rendered) { rendered = m.id; }
    }
    if (m.from !== "visitor") {
      showAgentTyping(false);
      if (m.id) {
        replies.push(m.id);
        if (!isVisible() && m.id > (state.seen || 0)) { announcer.textContent = labels.new_reply || ""; }
      }
    }
    markSeen();
    log.scrollTop = log.scrollHeight;
  }

  // Only a confirmed reply is seen: one the visitor missed is emailed.
  function acknowledge() {
    clearTimeout(ackTimer);
    ackTimer = setTimeout(function () {
      if (!state.cid) { return; }
      request("POST", "/conversations/" + encodeURIComponent(state.cid) + "/heartbeat",
              {last_seen_id: state.seen || 0}).catch(function () {});
    }, ACK_DELAY_MS);
  }

  function notice(text) {
    log.appendChild(el("div", {"class": "notice", "role": "note"}, text));
    log.scrollTop = log.scrollHeight;
  }

  function showAgentTyping(on) {
    clearTimeout(agentTypingTimer);
    typingLine.textContent = on ? labels.typing : "";
    if (on) { agentTypingTimer = setTimeout(function () { showAgentTyping(false); }, AGENT_TYPING_MS); }
  }

  function connect() {
    if (source || !state.cid) { return; }
    var url = API + "/conversations/" + encodeURIComponent(state.cid) + "/stream?token=" +
      encodeURIComponent(state.token) + "&after=" + rendered;
    source = new EventSource(url);
    source.addEventListener("message", function (e) { render(JSON.parse(e.data)); });
    source.addEventListener("typing", function () { showAgentTyping(true); });
    source.addEventListener("closed", function () { notice(labels.closed); });
    source.onerror = function () {
      // The browser reconnects by itself (with Last-Event-ID); a refused
      // token closes the source for good: forget that conversation.
      if (source && source.readyState === EventSource.CLOSED) {
        disconnect();
        request("GET", "/conversations/" + encodeURIComponent(state.cid) + "/messages?after=0")
          .catch(function (err) { if (err.status === 401 || err.status === 403 || err.status === 404) { forget(); } });
      }
    };
    heartbeatTimer = setInterval(function () {
      request("POST", "/conversations/" + encodeURIComponent(state.cid) + "/heartbeat",
              {last_seen_id: state.seen || 0}).catch(function () {});
    }, HEARTBEAT_MS);
  }

  function disconnect() {
    if (source) { source.close(); source = null; }
    clearInterval(heartbeatTimer);
  }

  function forget() {
    disconnect();
    state = {visitor: state.visitor}; save();
    replies = []; shown = {}; rendered = 0;
    if (log) {
      while (log.firstChild) { log.removeChild(log.firstChild); }
      identity.hidden = !!signedIdentity;
      showUnread();
    }
  }

  function ensureConversation() {
    if (state.cid) { return Promise.resolve(); }
    var body = {key: KEY, name: nameInput.value.trim(), email: emailInput.value.trim() || null,
                page_url: location.href.slice(0, 500), visitor_id: state.visitor || null};
    if (signedIdentity) { body.identity = signedIdentity; }
    return request("POST", "/conversations", body).then(function (data) {
      state = {cid: data.conversation_id, token: data.token, visitor: data.visitor_id, seen: 0,
               who: whoOf(signedIdentity)};
      save();
      identity.hidden = true;
    });
  }

  function deliver(clientId, text, attempt) {
    var cid = state.cid;
    return request("POST", "/conversations/" + encodeURIComponent(cid) + "/messages",
                   {client_id: clientId, text: text})
      .then(function (data) {
        if (state.cid !== cid) { return; }  // dropped meanwhile (identify)
        if (data.conversation_id !== cid) {
          // The last chat was closed: the server started a new conversation.
          disconnect();
          state.cid = data.conversation_id; state.token = data.token; save();
        }
        render(data.message);
        connect();
      })
      .catch(function (err) {
        if (err.status && err.status < 500 && err.status !== 429) { throw err; }
        // Network trouble: resend with the same client id (idempotent).
        if (attempt >= 5) { throw err; }
        return new Promise(function (r) { setTimeout(r, 1000 * Math.pow(2, attempt)); })
          .then(function () { return deliver(clientId, text, attempt + 1); });
      });
  }

  function submit() {
    var text = textarea.value.trim();
    if (!text) { return; }
    textarea.value = "";
    var clientId = randomId();
    render({from: "visitor", text: text, client_id: clientId});
    log.querySelector('[data-client-id="' + clientId + '"]').classList.add("pending");
    ensureConversation()
      .then(function () { return deliver(clientId, text, 0); })
      .catch(function (err) { refused(clientId, text, err); });
  }

  function messagesOf(v) {
    if (typeof v === "string") { return [v]; }
    return [].concat.apply([], Object.keys(v || {}).map(function (k) { return messagesOf(v[k]); }));
  }

  // Refused: say why, mark the box to fix, give the text back.
  function refused(clientId, text, err) {
    var why = messagesOf(err.fields), boxes = {name: nameInput, email: emailInput, text: textarea};
    notice(labels.failed + " " + (why.join(" ") || err.message || ""));
    if (!err.status || err.status >= 500) { return; }  // it may have arrived
    log.removeChild(log.querySelector('[data-client-id="' + clientId + '"]'));
    textarea.value = textarea.value || text;
    Object.keys(err.fields).forEach(function (k) {
      if (boxes[k]) { boxes[k].setAttribute("aria-invalid", "true"); boxes[k].focus(); }
    });
  }

  function typing() {
    var at = Date.now();
    if (!state.cid || at - typingSentAt < TYPING_EVERY_MS || !textarea.value) { return; }
    typingSentAt = at;
    request("POST", "/conversations/" + encodeURIComponent(state.cid) + "/typing").catch(function () {});
  }

  // Single-page shops: a new signature on log in, null on log out.
  function identify(ident) {
    window.HelplineChat.identity = ident || null;
    signedIdentity = readIdentity();
    if (state.cid && (state.who || "") !== whoOf(signedIdentity)) { forget(); }
    if (identity && !state.cid) { identity.hidden = !!signedIdentity; }
  }

  function start() {
    if (!state.visitor) { state.visitor = randomId(); save(); }
    if (state.cid && (state.who || "") !== whoOf(signedIdentity)) { forget(); }
    fetch(API + "/config?key=" + encodeURIComponent(KEY), {mode: "cors"})
      .then(function (r) {  // a refusal's reason (unknown site key...) for the shop's console
        return r.json().catch(function () { return {}; }).then(function (d) {
          if (!r.ok) { throw new Error(((d.error && d.error.message) || "webchat config") + " (" + r.status + ")"); }
          return d;
        });
      })
      .then(build)
      .catch(function (err) { if (window.console) { console.warn("Helpline chat unavailable:", err.message); } });
  }

  window.HelplineChat = window.HelplineChat || {};
  window.HelplineChat.identify = identify;

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
