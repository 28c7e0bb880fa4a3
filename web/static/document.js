/* Document page: the outline scrolls the text to a unit and flashes it. */
(function () {
  "use strict";
  var text = document.getElementById("doc-text");
  if (!text) return;
  function offsetNode(target) {
    var walker = document.createTreeWalker(text, NodeFilter.SHOW_TEXT), seen = 0, node;
    while ((node = walker.nextNode())) {
      if (seen + node.length > target) return {node: node, offset: target - seen};
      seen += node.length;
    }
    return null;
  }
  document.querySelectorAll(".outline a[data-start]").forEach(function (a) {
    a.addEventListener("click", function (evt) {
      var at = offsetNode(parseInt(a.getAttribute("data-start"), 10));
      if (!at) return;
      evt.preventDefault();
      var range = document.createRange();
      range.setStart(at.node, at.offset);
      range.setEnd(at.node, Math.min(at.node.length, at.offset + 1));
      var rect = range.getBoundingClientRect();
      window.scrollBy({top: rect.top - 80, behavior: "smooth"});
      var sel = window.getSelection(); sel.removeAllRanges();
      range.setEnd(at.node, Math.min(at.node.length, at.offset + 12)); sel.addRange(range);
    });
  });
})();
