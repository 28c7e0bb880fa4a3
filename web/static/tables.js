/* Sortable tables: a click on a column heading of a table.sortable sorts its rows by that column,
   numbers as numbers (10 after 9), text by Chinese collation; a second click reverses. */
(function () {
  "use strict";
  var collator = new Intl.Collator(["zh-Hans-CN", "en"], {numeric: true, sensitivity: "base"});
  function key(cell) {
    var text = (cell.getAttribute("data-sort") || cell.textContent || "").trim();
    var number = /^-?\d+(\.\d+)?$/.test(text.replace(/,/g, "")) ? parseFloat(text.replace(/,/g, "")) : null;
    return {text: text, number: number};
  }
  document.querySelectorAll("table.sortable").forEach(function (table) {
    var body = table.tBodies[0];
    if (!body || !table.tHead) return;
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, column) {
      th.tabIndex = 0;
      th.classList.add("sort");
      function sort() {
        var up = th.getAttribute("aria-sort") !== "ascending";
        Array.prototype.forEach.call(table.tHead.rows[0].cells, function (c) { c.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", up ? "ascending" : "descending");
        var rows = Array.prototype.slice.call(body.rows).filter(function (r) { return r.cells.length > column; });
        rows.sort(function (a, b) {
          var x = key(a.cells[column]), y = key(b.cells[column]), order;
          if (x.number !== null && y.number !== null) order = x.number - y.number;
          else order = collator.compare(x.text, y.text);
          return up ? order : -order;
        });
        rows.forEach(function (r) { body.appendChild(r); });
      }
      th.addEventListener("click", sort);
      th.addEventListener("keydown", function (e) { if (e.key === "Enter") sort(); });
    });
  });
})();
