/* The ticket sidebar's compact controls: the snooze menu (the WAI-ARIA
   menu button pattern) and the assign picker (type to filter the agents,
   arrows to move, Enter to choose). Listeners sit on #sidebar itself,
   because its content is replaced when the ticket changes live. */
(function () {
  "use strict";
  var H = window.Helpline;
  var sidebar = document.getElementById("sidebar");
  if (!sidebar) { return; }

  /* ---- menu buttons ------------------------------------------------------ */
  function menuOf(button) { return document.getElementById(button.getAttribute("aria-controls")); }
  function items(menu) { return Array.prototype.slice.call(menu.querySelectorAll("[role=menuitem]")); }

  function openMenu(button, which) {
    var menu = menuOf(button);
    menu.hidden = false;
    button.setAttribute("aria-expanded", "true");
    var list = items(menu);
    if (list.length) { (which === "last" ? list[list.length - 1] : list[0]).focus(); }
  }
  function closeMenu(button, focusButton) {
    var menu = menuOf(button);
    if (menu) { menu.hidden = true; }
    button.setAttribute("aria-expanded", "false");
    if (focusButton) { button.focus(); }
  }
  function openButtons() {
    return Array.prototype.slice.call(sidebar.querySelectorAll("[data-menu-button][aria-expanded=true]"));
  }

  sidebar.addEventListener("click", function (e) {
    var button = e.target.closest("[data-menu-button]");
    if (button) {
      if (button.getAttribute("aria-expanded") === "true") { closeMenu(button, false); } else { openMenu(button); }
      return;
    }
    var reveal = e.target.closest("[role=menuitem][data-reveal]");
    if (reveal) {
      var owner = sidebar.querySelector('[aria-controls="' + reveal.closest("[role=menu]").id + '"]');
      closeMenu(owner, false);
      var target = document.getElementById(reveal.dataset.reveal);
      target.hidden = false;
      var field = target.querySelector("input");
      if (field) { field.focus(); }
    }
  });

  sidebar.addEventListener("keydown", function (e) {
    var button = e.target.closest("[data-menu-button]");
    if (button && (e.key === "ArrowDown" || e.key === "ArrowUp")) {
      e.preventDefault();
      openMenu(button, e.key === "ArrowUp" ? "last" : "first");
      return;
    }
    var menu = e.target.closest("[role=menu]");
    if (!menu) { return; }
    var owner = sidebar.querySelector('[aria-controls="' + menu.id + '"]');
    var list = items(menu);
    var at = list.indexOf(e.target);
    var next = null;
    if (e.key === "ArrowDown") { next = list[(at + 1) % list.length]; }
    else if (e.key === "ArrowUp") { next = list[(at - 1 + list.length) % list.length]; }
    else if (e.key === "Home") { next = list[0]; }
    else if (e.key === "End") { next = list[list.length - 1]; }
    else if (e.key === "Escape") { e.preventDefault(); e.stopPropagation(); closeMenu(owner, true); return; }
    else if (e.key === "Tab") { closeMenu(owner, false); return; }
    if (next) { e.preventDefault(); next.focus(); }
  });

  /* A click anywhere else closes an open menu. */
  document.addEventListener("click", function (e) {
    openButtons().forEach(function (button) {
      var menu = menuOf(button);
      if (!button.contains(e.target) && !(menu && menu.contains(e.target))) { closeMenu(button, false); }
    });
  });

  /* ---- the assign picker ------------------------------------------------- */
  function picker() { return document.getElementById("assign-picker"); }
  function pickerButton() { return document.getElementById("assign-button"); }
  function visibleOptions() {
    return Array.prototype.slice.call(picker().querySelectorAll("li:not([hidden]) .picker-option"));
  }

  function filter(query) {
    var terms = query.toLowerCase().split(/\s+/).filter(Boolean);
    var shown = 0;
    Array.prototype.slice.call(picker().querySelectorAll("#assign-options > li")).forEach(function (li) {
      var text = li.dataset.search || "";
      var match = terms.length === 0 || (text !== "" && terms.every(function (t) { return text.indexOf(t) !== -1; }));
      li.hidden = !match;
      if (match) { shown += 1; }
    });
    document.getElementById("assign-none").hidden = shown > 0;
  }

  function setPicker(open) {
    var box = picker();
    var button = pickerButton();
    box.hidden = !open;
    button.setAttribute("aria-expanded", open ? "true" : "false");
    if (open) {
      var search = document.getElementById("assign-search");
      search.value = "";
      filter("");
      search.focus();
    } else {
      button.focus();
    }
  }

  sidebar.addEventListener("click", function (e) {
    if (e.target.closest("#assign-button")) { setPicker(picker().hidden); }
  });
  sidebar.addEventListener("input", function (e) {
    if (e.target.id === "assign-search") { filter(e.target.value); }
  });
  sidebar.addEventListener("keydown", function (e) {
    var inSearch = e.target.id === "assign-search";
    var option = e.target.closest && e.target.closest("#assign-picker .picker-option");
    if (!inSearch && !option) { return; }
    var list = visibleOptions();
    if (e.key === "Escape") { e.preventDefault(); e.stopPropagation(); setPicker(false); return; }
    if (inSearch && e.key === "Enter") {
      // Enter chooses the first match, never the form's first button (Assign to me).
      e.preventDefault();
      if (list.length) { list[0].click(); }
      return;
    }
    var at = inSearch ? -1 : list.indexOf(option);
    if (e.key === "ArrowDown" && list.length) { e.preventDefault(); list[Math.min(at + 1, list.length - 1)].focus(); }
    if (e.key === "ArrowUp") {
      e.preventDefault();
      if (at <= 0) { document.getElementById("assign-search").focus(); } else { list[at - 1].focus(); }
    }
  });

  /* ---- shortcuts --------------------------------------------------------- */
  H.shortcuts.s = function () {
    var button = document.getElementById("snooze-button");
    if (button) { openMenu(button, "first"); }
  };
  H.shortcuts.a = function () {
    if (pickerButton()) { setPicker(true); }
  };
}());
