// Optional: with JavaScript on, a question whose condition depends on an answer of the
// same page appears and disappears as the person answers, and an exclusive choice unticks
// the others. Without it, the question is shown with its "answer only if" hint, and the
// server applies the same rules on sending.
(function () {
  "use strict";
  var form = document.querySelector("form.survey");
  if (!form) { return; }
  // An exclusive choice ("Aucun") unticks the others of its question, and the reverse;
  // the server refuses both together anyway.
  form.addEventListener("change", function (event) {
    var box = event.target;
    if (box.type !== "checkbox" || !box.checked) { return; }
    form.querySelectorAll('input[type="checkbox"]').forEach(function (other) {
      if (other !== box && other.name === box.name &&
          (box.hasAttribute("data-exclusive") || other.hasAttribute("data-exclusive"))) {
        other.checked = false;
      }
    });
  });
  var items = Array.prototype.slice.call(form.querySelectorAll("[data-show-if]"));
  if (!items.length) { return; }

  function answers(code) {
    var found = [];
    form.querySelectorAll('[name="q_' + code + '"]').forEach(function (field) {
      if (field.type === "radio" || field.type === "checkbox") {
        if (field.checked) { found.push(field.value); }
      } else if (field.value.trim() !== "") {
        found.push(field.value.trim());
      }
    });
    return found;
  }

  function number(value) {
    var n = parseFloat(String(value).replace(",", "."));
    return isNaN(n) ? null : n;
  }

  function same(a, b) {
    var x = number(a), y = number(b);
    return x !== null && y !== null ? x === y : String(a) === String(b);
  }

  function holds(condition) {
    var values = answers(condition.question);
    if (!values.length) { return false; }
    var first = values[0];
    if (condition.op === "equals") { return values.length === 1 && same(first, condition.value); }
    if (condition.op === "one_of") {
      return (condition.values || []).some(function (v) { return same(first, v); });
    }
    if (condition.op === "includes") { return values.indexOf(String(condition.value)) !== -1; }
    if (condition.op === "between") {
      var n = number(first);
      if (n === null) { return false; }
      return (condition.min == null || n >= condition.min) &&
        (condition.max == null || n <= condition.max);
    }
    return false;
  }

  function update() {
    items.forEach(function (item) {
      item.hidden = !holds(JSON.parse(item.getAttribute("data-show-if")));
    });
  }

  form.addEventListener("change", update);
  form.addEventListener("input", update);
  update();
})();
