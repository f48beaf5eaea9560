/* Helpline agent UI: the notification bell (live unread count), the
   opted-in sound and desktop notification, the live notifications list, and
   the browser permission request on the notification choices page.
   Needs app.js (window.Helpline) first. */
(function () {
  "use strict";
  var H = window.Helpline;
  if (!H) { return; }
  var bell = document.getElementById("notification-bell");

  function setCount(n) {
    if (!bell) { return; }
    var badge = bell.querySelector("[data-notification-count]");
    if (badge) {
      badge.textContent = n;
      badge.hidden = !n;
    }
    bell.setAttribute("aria-label", H.fmt(bell.dataset.label, {n: n}));
  }

  function describe(d) {
    if (d.kind === "assigned") {
      return H.fmt(d.by ? H.i18n.notifyAssigned : H.i18n.notifyAssignedByRule, {by: d.by, id: d.ticket_id});
    }
    if (d.kind === "mention") { return H.fmt(H.i18n.mention, {by: d.by, id: d.ticket_id}); }
    if (d.kind === "reply") { return H.fmt(H.i18n.notifyReply, {id: d.ticket_id}); }
    return H.fmt(H.i18n.newTicket, {id: d.ticket_id});
  }

  function playSound() {
    if (!bell || !bell.dataset.soundUrl) { return; }
    var audio = new Audio(bell.dataset.soundUrl);
    var playing = audio.play();
    // A browser may refuse to play before the first click on the page:
    // the bell and the list still say it, so the refusal is not an error.
    if (playing && playing.catch) { playing.catch(function () {}); }
  }

  function showDesktop(d) {
    if (!("Notification" in window) || Notification.permission !== "granted") { return; }
    var shown = new Notification(describe(d), {tag: "helpline-" + d.id});
    shown.addEventListener("click", function () {
      window.focus();
      window.location.href = "/t/" + d.ticket_id;
      shown.close();
    });
  }

  var list = document.querySelector("[data-notification-list]");
  var refreshList = H.debounce(function () {
    H.getText(window.location.pathname + window.location.search).then(function (html) {
      var fresh = new DOMParser().parseFromString(html, "text/html");
      var newList = fresh.querySelector("[data-notification-list]");
      if (newList) { list.innerHTML = newList.innerHTML; }
    }).catch(function () { /* the next notification retries */ });
  }, 250);

  document.addEventListener("helpline:notification", function (e) {
    var d = e.detail || {};
    if (Number(d.agent_id) !== H.me) { return; }
    setCount(Number(d.unread) || 0);
    if (bell && bell.dataset.sound) { playSound(); }
    if (bell && bell.dataset.desktop) { showDesktop(d); }
    if (list) { refreshList(); }
  });

  /* Read in another tab (or by opening the ticket): the count follows at
     once. The stream sends this event to its agent only. */
  document.addEventListener("helpline:notification.read", function (e) {
    var d = e.detail || {};
    if (Number(d.agent_id) !== H.me) { return; }
    setCount(Number(d.unread) || 0);
    if (list) { refreshList(); }
  });

  /* ---- the notification choices page ----------------------------------- */
  var desktop = document.getElementById("pref-desktop");
  var status = document.getElementById("desktop-status");
  function showPermission() {
    if (!status) { return; }
    var state = "Notification" in window ? Notification.permission : "unsupported";
    status.textContent = desktop && desktop.checked ? (status.dataset[state] || "") : "";
  }
  if (desktop) {
    // Browsers allow the permission prompt only from a user gesture: the click
    // that ticks the box.
    desktop.addEventListener("change", function () {
      if (desktop.checked && "Notification" in window && Notification.permission === "default") {
        Notification.requestPermission().then(showPermission, showPermission);
      }
      showPermission();
    });
    showPermission();
  }
  var testSound = document.getElementById("test-sound");
  if (testSound) { testSound.addEventListener("click", playSound); }
}());
