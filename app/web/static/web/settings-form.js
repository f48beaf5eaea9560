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

  function setUpWeek(editor) {
    editor.querySelectorAll(".week-day").forEach(function (day) {
      var list = day.querySelector("[data-ranges]");
      var add = day.querySelector("[data-add-range]");
      add.hidden = false;
      add.addEventListener("click", function () {
        var rows = list.querySelectorAll("[data-range]");
        var copy = blankClone(rows[rows.length - 1]);
        list.appendChild(copy);
        renumberRanges(editor, day);
        copy.querySelector("input").focus();
      });
      list.addEventListener("click", function (event) {
        var button = event.target.closest("[data-remove-range]");
        if (!button) return;
        var row = button.closest("[data-range]");
        if (list.querySelectorAll("[data-range]").length > 1) {
          row.remove();
        } else {
          row.querySelectorAll("input").forEach(function (input) { input.value = ""; });
        }
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
    add.hidden = false;
    add.addEventListener("click", function () {
      var rows = list.querySelectorAll("[data-date]");
      var copy = blankClone(rows[rows.length - 1]);
      list.appendChild(copy);
      renumber();
      copy.querySelector("input").focus();
    });
    list.addEventListener("click", function (event) {
      var button = event.target.closest("[data-remove-date]");
      if (!button) return;
      var row = button.closest("[data-date]");
      if (list.querySelectorAll("[data-date]").length > 1) {
        row.remove();
      } else {
        row.querySelector("input").value = "";
      }
      renumber();
      add.focus();
    });
  }

  document.querySelectorAll("[data-week-editor]").forEach(setUpWeek);
  document.querySelectorAll("[data-date-list]").forEach(setUpDates);
})();
