/* Query page: examples load into the editor; Ctrl+Enter runs the query. */
(function () {
  "use strict";
  var area = document.getElementById("query"), form = document.getElementById("sparql-form");
  if (!area || !form) return;
  document.querySelectorAll("a.example").forEach(function (a) {
    a.addEventListener("click", function (evt) {
      evt.preventDefault();
      area.value = a.getAttribute("data-query");
      area.focus();
    });
  });
  area.addEventListener("keydown", function (evt) {
    if (evt.key === "Enter" && (evt.ctrlKey || evt.metaKey)) { evt.preventDefault(); form.submit(); }
    if (evt.key === "Tab") {
      evt.preventDefault();
      var s = area.selectionStart;
      area.value = area.value.slice(0, s) + "  " + area.value.slice(area.selectionEnd);
      area.selectionStart = area.selectionEnd = s + 2;
    }
  });
})();
