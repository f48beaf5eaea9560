/* The merge picker on the ticket page: the "Merge this ticket into" box
   becomes a combobox (the WAI-ARIA pattern with a listbox popup) searching
   this customer's tickets through /t/<id>/merge/candidates, a page at a
   time ("Show more tickets"). Without scripts the box keeps its datalist.
   Listeners sit on #sidebar, whose content is replaced when the ticket
   changes live; the box is set up again each time. */
(function () {
  "use strict";
  var H = window.Helpline;
  var sidebar = document.getElementById("sidebar");
  if (!H || !sidebar) { return; }

  var request = 0;       // only the latest search's answer is shown
  var nextCursor = null;
  var lastQuery = null;

  function parts() {
    return {
      input: document.getElementById("merge-into"),
      list: document.getElementById("merge-options"),
      more: document.getElementById("merge-more"),
      status: document.getElementById("merge-status")
    };
  }

  function enhance() {
    var p = parts();
    if (!p.input || p.input.dataset.enhanced) { return; }
    p.input.dataset.enhanced = "1";
    p.input.removeAttribute("list");
    p.input.setAttribute("role", "combobox");
    p.input.setAttribute("aria-autocomplete", "list");
    p.input.setAttribute("aria-expanded", "false");
    p.input.setAttribute("aria-controls", p.list.id);
    nextCursor = null;
    lastQuery = null;
  }

  function options() { return Array.prototype.slice.call(parts().list.querySelectorAll("[role=option]")); }

  function setOpen(open) {
    var p = parts();
    p.list.hidden = !open;
    p.input.setAttribute("aria-expanded", open ? "true" : "false");
    if (!open) { p.input.removeAttribute("aria-activedescendant"); }
  }

  function activate(option) {
    var p = parts();
    options().forEach(function (o) { o.setAttribute("aria-selected", o === option ? "true" : "false"); });
    if (option) {
      p.input.setAttribute("aria-activedescendant", option.id);
      option.scrollIntoView({block: "nearest"});
    }
  }

  function choose(option) {
    var p = parts();
    p.input.value = option.dataset.label;
    setOpen(false);
    p.input.focus();
  }

  function render(items, append) {
    var p = parts();
    if (!append) { p.list.innerHTML = ""; }
    items.forEach(function (item) {
      if (document.getElementById("merge-option-" + item.id)) { return; }
      var li = document.createElement("li");
      li.id = "merge-option-" + item.id;
      li.setAttribute("role", "option");
      li.setAttribute("aria-selected", "false");
      li.dataset.label = item.label;
      var title = document.createElement("span");
      title.className = "merge-option-title";
      title.textContent = item.label;
      var meta = document.createElement("span");
      meta.className = "merge-option-meta muted small";
      meta.textContent = item.status_label + " · " + item.updated_label;
      li.appendChild(title);
      li.appendChild(meta);
      p.list.appendChild(li);
    });
    var count = options().length;
    p.status.textContent = count ? "" : p.status.dataset.empty;
    p.more.hidden = !nextCursor;
    setOpen(count > 0);
  }

  function search(append) {
    var p = parts();
    var q = p.input.value.trim();
    var url = p.input.dataset.candidates + "?q=" + encodeURIComponent(q);
    if (append && nextCursor) { url += "&cursor=" + encodeURIComponent(nextCursor); }
    var mine = ++request;
    H.getJSON(url).then(function (json) {
      if (mine !== request) { return; }
      lastQuery = q;
      nextCursor = json.next_cursor;
      render(json.items, append);
    }).catch(function () {
      if (mine !== request) { return; }
      parts().status.textContent = parts().status.dataset.failed;
    });
  }
  var searchSoon = H.debounce(function () { search(false); }, 200);

  sidebar.addEventListener("focusin", function (e) {
    if (e.target.id !== "merge-into") { return; }
    enhance();
    if (lastQuery === null || lastQuery !== e.target.value.trim()) { search(false); }
    else if (options().length) { setOpen(true); }
  });
  sidebar.addEventListener("input", function (e) {
    if (e.target.id === "merge-into") { enhance(); searchSoon(); }
  });
  sidebar.addEventListener("keydown", function (e) {
    if (e.target.id !== "merge-into") { return; }
    var p = parts();
    var list = options();
    var current = list.filter(function (o) { return o.getAttribute("aria-selected") === "true"; })[0];
    var index = list.indexOf(current);
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      if (p.list.hidden) { if (list.length) { setOpen(true); } else { search(false); } return; }
      var step = e.key === "ArrowDown" ? 1 : -1;
      activate(list[(index + step + list.length) % list.length]);
    } else if (e.key === "Enter" && !p.list.hidden && current) {
      e.preventDefault();  // choosing is not submitting
      choose(current);
    } else if (e.key === "Escape" && !p.list.hidden) {
      e.preventDefault();
      e.stopPropagation();
      setOpen(false);
    }
  });
  sidebar.addEventListener("mousedown", function (e) {
    // Keep the focus in the box while picking with the mouse.
    if (e.target.closest("#merge-options") || e.target.closest("#merge-more")) { e.preventDefault(); }
  });
  sidebar.addEventListener("click", function (e) {
    var option = e.target.closest("#merge-options [role=option]");
    if (option) { choose(option); return; }
    if (e.target.closest("#merge-more")) { search(true); parts().input.focus(); }
  });
  sidebar.addEventListener("focusout", function (e) {
    if (e.target.id !== "merge-into") { return; }
    setTimeout(function () {
      var p = parts();
      if (p.input && document.activeElement !== p.input && !(p.more && document.activeElement === p.more)) {
        setOpen(false);
      }
    }, 0);
  });

  enhance();
  new MutationObserver(enhance).observe(sidebar, {childList: true});
}());
