/* Query page: examples load into the editor; Ctrl+Enter runs the query; "CSV" downloads the
   editor's query as CSV (GET /sparql?format=csv, every row). */
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
  var actions = form.querySelector(".actions");
  if (actions) {
    var csv = document.createElement("button");
    csv.type = "button";
    csv.id = "csv-now";
    csv.textContent = "下载 CSV";
    csv.title = "Download the result of this query as CSV · 下载此查询的全部结果";
    actions.style.flexWrap = "wrap";  // three controls still fit a 360 px phone
    csv.addEventListener("click", function () {
      var link = document.createElement("a");
      link.href = form.getAttribute("action") + "?format=csv&query=" + encodeURIComponent(area.value);
      link.download = "sparql-results.csv";
      document.body.appendChild(link);
      link.click();
      link.remove();
    });
    actions.insertBefore(csv, actions.children[1] || null);
  }
  // Tab indents; Esc then Tab, or Shift+Tab, leaves the editor (a keyboard is never trapped)
  var released = false;
  area.addEventListener("keydown", function (evt) {
    if (evt.key === "Enter" && (evt.ctrlKey || evt.metaKey)) { evt.preventDefault(); form.submit(); }
    if (evt.key === "Tab" && !released && !evt.shiftKey) {
      evt.preventDefault();
      var s = area.selectionStart;
      area.value = area.value.slice(0, s) + "  " + area.value.slice(area.selectionEnd);
      area.selectionStart = area.selectionEnd = s + 2;
    }
    released = evt.key === "Escape";
  });
})();
