// The settings form's structured widgets: add and remove opening ranges in
// the weekly office-hours editor and dates in a date list. The form works
// without this file (it renders spare empty rows); this only makes the rows
// grow and shrink. Loaded as a file: the CSP allows no inline script.
(function () {
  "use strict";

  // Input names carry the row index (schedule.mon.2.open): after adding or
  // removing a row, number the rows again so the server reads them in order.
  function renumberRanges(editor, day) {
    var field = editor.getAttribute("data-week-editor");
    var rows = day.querySelectorAll("[data-range]");
    var dayKey = day.getAttribute("data-day");
    rows.forEach(function (row, i) {
      row.querySelectorAll("input").forEach(function (input) {
        var part = input.getAttribute("data-part");
        var oldId = input.id;
        input.name = field + "." + dayKey + "." + i + "." + part;
        input.id = "field-" + field + "-" + dayKey + "-" + i + "-" + part;
        var label = row.querySelector('label[for="' + oldId + '"]');
        if (label) label.htmlFor = input.id;
      });
      row.querySelectorAll(".visually-hidden").forEach(function (span) {
        span.textContent = span.textContent.replace(/\d+/, String(i + 1));
      });
    });
    var filled = Array.prototype.some.call(day.querySelectorAll("input"), function (input) {
      return input.value !== "";
    });
    var note = day.querySelector("[data-closed-note]");
    if (note) note.hidden = filled;
  }

  function blankClone(row) {
    var copy = row.cloneNode(true);
    copy.querySelectorAll("input").forEach(function (input) {
      input.value = "";
      input.removeAttribute("aria-invalid");
    });
    return copy;
  }

  // Without script the server renders spare empty rows to type into; with
  // it they go, and "Add" brings a fresh row when one is wanted.
  function dropEmptyRows(list, selector) {
    var rows = list.querySelectorAll(selector);
    var template = blankClone(rows[rows.length - 1]);
    rows.forEach(function (row) {
      var empty = Array.prototype.every.call(row.querySelectorAll("input"), function (input) {
        return input.value === "";
      });
      if (empty) row.remove();
    });
    return template;
  }

  function setUpWeek(editor) {
    editor.querySelectorAll(".week-day").forEach(function (day) {
      var list = day.querySelector("[data-ranges]");
      var add = day.querySelector("[data-add-range]");
      var template = dropEmptyRows(list, "[data-range]");
      add.hidden = false;
      add.addEventListener("click", function () {
        var copy = template.cloneNode(true);
        list.appendChild(copy);
        renumberRanges(editor, day);
        copy.querySelector("input").focus();
      });
      list.addEventListener("click", function (event) {
        var button = event.target.closest("[data-remove-range]");
        if (!button) return;
        button.closest("[data-range]").remove();
        renumberRanges(editor, day);
        add.focus();
      });
      list.addEventListener("input", function () { renumberRanges(editor, day); });
    });
  }

  function setUpDates(box) {
    var list = box.querySelector("[data-dates]");
    var add = box.querySelector("[data-add-date]");
    var renumber = function () {
      list.querySelectorAll("[data-date]").forEach(function (row, i) {
        var input = row.querySelector("input");
        var label = row.querySelector("label");
        input.id = "field-" + box.getAttribute("data-date-list") + "-" + (i + 1);
        label.htmlFor = input.id;
        row.querySelectorAll("label, .visually-hidden").forEach(function (el) {
          el.lastChild.textContent = el.lastChild.textContent.replace(/\d+/, String(i + 1));
        });
      });
    };
    var template = dropEmptyRows(list, "[data-date]");
    add.hidden = false;
    add.addEventListener("click", function () {
      var copy = template.cloneNode(true);
      list.appendChild(copy);
      renumber();
      copy.querySelector("input").focus();
    });
    list.addEventListener("click", function (event) {
      var button = event.target.closest("[data-remove-date]");
      if (!button) return;
      button.closest("[data-date]").remove();
      renumber();
      add.focus();
    });
  }

  document.querySelectorAll("[data-week-editor]").forEach(setUpWeek);
  document.querySelectorAll("[data-date-list]").forEach(setUpDates);
})();
