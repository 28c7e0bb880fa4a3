/* Document and unit pages: "#s-START-END" scrolls to that passage of the text and highlights it.
   Sentences are <span class="sent" data-start data-end>; offsets count code points, as the
   graph's do. A passage inside one sentence is marked exactly, else its sentences are. */
(function () {
  "use strict";
  var text = document.getElementById("doc-text") || document.getElementById("unit-text");
  if (!text) return;
  var marked = [];

  function clear() {
    marked.forEach(function (el) {
      if (el.classList.contains("passage")) {
        var parent = el.parentNode;
        while (el.firstChild) parent.insertBefore(el.firstChild, el);
        parent.removeChild(el);
        parent.normalize();
      } else {
        el.classList.remove("target");
      }
    });
    marked = [];
  }

  /* The text node and UTF-16 offset of code point `cp` inside element `el`. */
  function locate(el, cp) {
    var walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT), node, seen = 0;
    while ((node = walker.nextNode())) {
      var chars = Array.from(node.data);
      if (seen + chars.length > cp) {
        return {node: node, offset: chars.slice(0, cp - seen).join("").length};
      }
      seen += chars.length;
    }
    return null;
  }

  /* Wrap [a, b) of a sentence (code points from its start) in <mark class="passage">, one
     text node at a time so that links and marks inside stay intact. */
  function markInside(sentence, a, b) {
    var start = locate(sentence, a), end = locate(sentence, b - 1);
    if (!start || !end) return false;
    var walker = document.createTreeWalker(sentence, NodeFilter.SHOW_TEXT), nodes = [], node, on = false;
    while ((node = walker.nextNode())) {
      if (node === start.node) on = true;
      if (on) nodes.push(node);
      if (node === end.node) break;
    }
    nodes.forEach(function (n) {
      var from = n === start.node ? start.offset : 0;
      var to = n === end.node ? end.offset + (n.data.codePointAt(end.offset) > 0xffff ? 2 : 1) : n.data.length;
      if (from >= to) return;
      var range = document.createRange();
      range.setStart(n, from);
      range.setEnd(n, to);
      var wrap = document.createElement("mark");
      wrap.className = "passage";
      range.surroundContents(wrap);
      marked.push(wrap);
    });
    return true;
  }

  function show(hash, smooth) {
    var m = /^#s-(\d+)-(\d+)$/.exec(hash || "");
    if (!m) return;
    var a = parseInt(m[1], 10), b = parseInt(m[2], 10);
    clear();
    var first = null;
    text.querySelectorAll(".sent").forEach(function (s) {
      var s0 = parseInt(s.getAttribute("data-start"), 10), s1 = parseInt(s.getAttribute("data-end"), 10);
      if (s1 <= a || s0 >= b) return;
      if (!first) first = s;
      if (s0 <= a && b <= s1 && (a > s0 || b < s1)) {
        markInside(s, a - s0, b - s0);
      }
      s.classList.add("target");
      marked.push(s);
    });
    if (first) {
      text.setAttribute("data-target", hash.slice(1));
      first.scrollIntoView({block: "center", behavior: smooth ? "smooth" : "auto"});
    }
  }

  window.addEventListener("hashchange", function () { show(location.hash, true); });
  if (location.hash) {
    show(location.hash, false);
    // the browser scrolls to the fragment's element itself once the page has loaded
    // (to the top edge); centre the passage again after that
    window.addEventListener("load", function () {
      window.requestAnimationFrame(function () {
        var first = text.querySelector(".sent.target");
        if (first) first.scrollIntoView({block: "center"});
      });
    });
  }
})();
