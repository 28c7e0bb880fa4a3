/* policykg graph renderer: a small SVG force-directed layout, no libraries.
 * Every element with data-graph-src gets a graph drawn from that JSON URL
 * ({nodes: [{id, label, type, x, y, highlight}], links: [{source, target, predicate}]}).
 * Wheel zooms, dragging the background pans, dragging a node moves it, a click opens its page.
 * The container reports what it drew in data-state ("ready"/"error") and data-nodes. */
(function () {
  "use strict";
  var SVG = "http://www.w3.org/2000/svg";
  var PALETTE = {
    PolicyDocument: "#5b6770", Document: "#5b6770", Part: "#8d6e63", Section: "#a1887f",
    Task: "#e6762e", Principle: "#c0a000", Goal: "#b8860b", Item: "#f0a868",
    Organization: "#2f74c0", GovernmentOrganization: "#2f74c0", CollegeOrUniversity: "#5c8fd6",
    Place: "#3c9a5f", Event: "#c2407a", Programme: "#8652b8", DocumentReference: "#7a7a7a",
    Concept: "#17a2b8", Topic: "#17a2b8", Sentence: "#999999", Paragraph: "#c9b79c",
    Reference: "#7a7a7a", Chapter: "#8d6e63", Article: "#e6762e", Unit: "#c9b79c", Annex: "#9e9e9e"
  };
  var NAMES = {
    PolicyDocument: "文档 Document", Document: "文档 Document", Part: "部分 Part", Section: "领域 Section",
    Task: "任务 Task", Principle: "原则 Principle", Goal: "目标 Goal", Item: "条目 Item", Paragraph: "段落 Paragraph",
    Organization: "单位 Organisation", GovernmentOrganization: "政府机构 Government body",
    CollegeOrUniversity: "高校 University", Place: "地点 Place", Event: "活动 Event",
    Programme: "项目 Programme", DocumentReference: "引用文件 Cited document",
    Concept: "主题 Topic", Topic: "主题 Topic", Sentence: "句子 Sentence",
    Reference: "引用文件 Cited document", Chapter: "章 Chapter", Article: "条 Article", Unit: "单元 Unit",
    Annex: "附件 Annex"
  };
  var ENTITY_TYPES = {Organization: 1, GovernmentOrganization: 1, CollegeOrUniversity: 1, Place: 1,
                      Event: 1, Programme: 1, DocumentReference: 1, Reference: 1};
  var EXTRA = ["#6f9e2f", "#d05050", "#4a6fa5", "#b07aa1", "#9c755f", "#76b7b2", "#edc948"];

  function typeKey(t) {
    t = String(t || "other");
    var cut = Math.max(t.lastIndexOf("#"), t.lastIndexOf("/"), t.lastIndexOf(":"));
    t = cut >= 0 ? t.slice(cut + 1) : t;
    return t.charAt(0).toUpperCase() + t.slice(1);
  }
  function colour(t) {
    if (PALETTE[t]) return PALETTE[t];
    var h = 0;
    for (var i = 0; i < t.length; i++) h = (h * 31 + t.charCodeAt(i)) >>> 0;
    return EXTRA[h % EXTRA.length];
  }
  function el(name, attrs, parent) {
    var e = document.createElementNS(SVG, name);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (parent) parent.appendChild(e);
    return e;
  }
  function short(label, n) {
    label = String(label || "");
    return label.length > n ? label.slice(0, n - 1) + "…" : label;
  }

  function Graph(container, data) {
    this.box = container;
    this.width = container.clientWidth || 800;
    this.height = container.clientHeight || 500;
    this.small = container.classList.contains("small");
    this.mode = data.mode || "";
    this.hidden = {};
    var initialTypes = (container.getAttribute("data-types") || "").split(",").filter(Boolean);
    this.only = initialTypes.map(typeKey);
    this.view = {x: 0, y: 0, k: 1};
    this.prepare(data);
    this.draw();
    this.bind();
    this.fit();
    this.run(this.hasLayout ? 200 : 300);
  }

  Graph.prototype.prepare = function (data) {
    var byId = {}, nodes = [], links = [], focus = this.box.getAttribute("data-highlight");
    (data.nodes || []).forEach(function (n) {
      var node = {id: n.id, label: n.label || n.id, type: typeKey(n.type), url: n.url,
                  en: n.label_en || "", aliases: n.aliases || [], hub: !!n.hub,
                  x: n.x, y: n.y, vx: 0, vy: 0, degree: 0,
                  highlight: !!n.highlight || (focus && n.id === focus)};
      byId[n.id] = node;
      nodes.push(node);
    });
    (data.links || []).forEach(function (l) {
      var s = byId[l.source && l.source.id || l.source], t = byId[l.target && l.target.id || l.target];
      if (s && t && s !== t) { links.push({source: s, target: t, predicate: l.predicate}); s.degree++; t.degree++; }
    });
    var xs = nodes.filter(function (n) { return typeof n.x === "number" && typeof n.y === "number"; });
    this.hasLayout = xs.length === nodes.length && nodes.length > 0;
    var w = this.width, h = this.height;
    if (this.hasLayout) {
      var minX = Infinity, maxX = -Infinity, minY = Infinity, maxY = -Infinity;
      nodes.forEach(function (n) { minX = Math.min(minX, n.x); maxX = Math.max(maxX, n.x); minY = Math.min(minY, n.y); maxY = Math.max(maxY, n.y); });
      var sx = (w * 0.85) / ((maxX - minX) || 1), sy = (h * 0.85) / ((maxY - minY) || 1);
      nodes.forEach(function (n) { n.x = w * 0.075 + (n.x - minX) * sx; n.y = h * 0.075 + (n.y - minY) * sy; });
    } else {
      nodes.forEach(function (n, i) {
        var a = i * 2.399963, r = 12 * Math.sqrt(i + 1);
        n.x = w / 2 + r * Math.cos(a); n.y = h / 2 + r * Math.sin(a);
      });
    }
    nodes.forEach(function (n) { n.r = (n.highlight ? 9 : 5) + Math.min(10, Math.sqrt(n.degree) * 2); });
    this.nodes = nodes; this.links = links;
  };

  Graph.prototype.visible = function (n) {
    if (this.hidden[n.type]) return false;
    return !this.only.length || this.only.indexOf(n.type) >= 0 || n.highlight;
  };

  Graph.prototype.draw = function () {
    var self = this;
    this.box.innerHTML = "";
    var svg = this.svg = el("svg", {width: "100%", height: "100%", viewBox: "0 0 " + this.width + " " + this.height,
                                    role: "img", "aria-label": "知识图谱 knowledge graph"}, this.box);
    this.viewport = el("g", {"class": "viewport"}, svg);
    var linkLayer = el("g", {"class": "links"}, this.viewport);
    var nodeLayer = el("g", {"class": "nodes"}, this.viewport);
    this.links.forEach(function (l) {
      l.el = el("line", {"class": "link"}, linkLayer);
      var t = el("title", {}, l.el); t.textContent = l.predicate ? typeKey(l.predicate) : "";
    });
    var manyLabels = this.nodes.length > 80, mapMode = this.mode === "map";
    var narrow = this.width < 560 && this.nodes.length > 40;
    // small graphs show whole labels (up to 24 characters); big ones a short form
    var room = self.small ? (self.nodes.length <= 40 ? 24 : 10) : 16;
    // never more characters than the canvas can show beside a node (about 11 px each)
    room = Math.max(6, Math.min(room, Math.floor((this.width - 60) / 13)));
    this.nodes.forEach(function (n) {
      var g = n.el = el("g", {"class": "node" + (n.highlight ? " highlight" : ""), "data-id": n.id,
                              "data-type": n.type, tabindex: "0"}, nodeLayer);
      el("circle", {r: n.r, fill: colour(n.type)}, g);
      var title = el("title", {}, g);
      title.textContent = n.label + (n.en ? " · " + n.en : "") + (n.aliases.length ? "（" + n.aliases.join("、") + "）" : "") +
        " · " + (NAMES[n.type] || n.type);
      // in a document map every entity keeps its label; elsewhere minor nodes of big views show it on zoom
      // (on a phone-sized canvas a map labels its hubs; the rest show on zoom or hover)
      var minor = (manyLabels && !n.highlight && n.degree < 4 && !(mapMode && (ENTITY_TYPES[n.type] || n.hub))) ||
                  (narrow && !n.hub && !n.highlight);
      var text = el("text", {x: n.r + 2, y: 4, "class": "label" + (minor ? " minor" : "")}, g);
      n.text = short(n.label, room);
      text.textContent = n.text;
    });
    this.refreshVisibility();
    this.tick();
  };

  Graph.prototype.refreshVisibility = function () {
    var self = this, drawn = 0;
    this.nodes.forEach(function (n) { var v = self.visible(n); n.el.style.display = v ? "" : "none"; if (v) drawn++; });
    this.links.forEach(function (l) { l.el.style.display = (self.visible(l.source) && self.visible(l.target)) ? "" : "none"; });
    this.box.setAttribute("data-nodes", String(drawn));
    this.box.setAttribute("data-links", String(this.links.length));
  };

  Graph.prototype.tick = function () {
    this.links.forEach(function (l) {
      l.el.setAttribute("x1", l.source.x.toFixed(1)); l.el.setAttribute("y1", l.source.y.toFixed(1));
      l.el.setAttribute("x2", l.target.x.toFixed(1)); l.el.setAttribute("y2", l.target.y.toFixed(1));
    });
    this.nodes.forEach(function (n) { n.el.setAttribute("transform", "translate(" + n.x.toFixed(1) + "," + n.y.toFixed(1) + ")"); });
  };

  Graph.prototype.step = function (alpha) {
    var nodes = this.nodes, n = nodes.length, i, j, a, b, dx, dy, d2, f;
    var ideal = Math.max(30, Math.min(90, 0.6 * Math.sqrt(this.width * this.height / Math.max(1, n))));
    var repel = ideal * ideal * 0.5, spring = 0.05, length = ideal;
    for (i = 0; i < n; i++) {
      a = nodes[i];
      for (j = i + 1; j < n; j++) {
        b = nodes[j]; dx = a.x - b.x; dy = a.y - b.y; d2 = dx * dx + dy * dy + 0.01;
        if (d2 > 90000) continue;
        f = repel / d2 * alpha;
        a.vx += dx * f; a.vy += dy * f; b.vx -= dx * f; b.vy -= dy * f;
      }
    }
    this.links.forEach(function (l) {
      dx = l.target.x - l.source.x; dy = l.target.y - l.source.y;
      var d = Math.sqrt(dx * dx + dy * dy) || 1, k = (d - length) * spring * alpha / d;
      l.source.vx += dx * k; l.source.vy += dy * k; l.target.vx -= dx * k; l.target.vy -= dy * k;
    });
    this.separateLabels(alpha);
    var cx = this.width / 2, cy = this.height / 2;
    for (i = 0; i < n; i++) {
      a = nodes[i];
      a.vx += (cx - a.x) * 0.02 * alpha; a.vy += (cy - a.y) * 0.02 * alpha;
      if (a.fixed) { a.vx = a.vy = 0; continue; }
      a.vx *= 0.6; a.vy *= 0.6;
      a.x += Math.max(-20, Math.min(20, a.vx)); a.y += Math.max(-20, Math.min(20, a.vy));
    }
  };

  /* Labels keep their size on screen, so at the current scale each labelled node covers a box
     to its right; overlapping boxes push their nodes apart, mostly up and down (rows read well). */
  Graph.prototype.separateLabels = function (alpha) {
    // The boxes are measured at no less than half scale: at a smaller scale they grow so wide in
    // graph units that pushing the nodes apart makes fit() zoom out further, a loop that ran a
    // 12-node graph down to the minimum scale with its labels past the box.
    var k = Math.max(0.5, this.view.k || 1), nodes = this.nodes, boxes = [], i, j;
    var zoomed = this.svg && this.svg.classList.contains("zoomed");
    for (i = 0; i < nodes.length; i++) {
      var n = nodes[i], t = n.el && n.el.querySelector("text");
      if (!t || (!zoomed && t.classList.contains("minor")) || !this.visible(n)) continue;
      boxes.push({n: n, w: n.r + (labelWidth(n.text || "") + 6) / k, h: 15 / k});
    }
    for (i = 0; i < boxes.length; i++) {
      var a = boxes[i];
      for (j = i + 1; j < boxes.length; j++) {
        var b = boxes[j];
        var ox = Math.min(a.n.x + a.w, b.n.x + b.w) - Math.max(a.n.x - a.n.r, b.n.x - b.n.r);
        var oy = Math.min(a.n.y + a.h / 2, b.n.y + b.h / 2) - Math.max(a.n.y - a.h / 2, b.n.y - b.h / 2);
        if (ox <= 0 || oy <= 0) continue;
        var push = Math.min(oy, 12 / k) * 0.5 * Math.max(0.2, alpha), dir = a.n.y <= b.n.y ? -1 : 1;
        if (!a.n.fixed) a.n.vy += dir * push;
        if (!b.n.fixed) b.n.vy -= dir * push;
        var side = Math.min(ox, 8 / k) * 0.15 * Math.max(0.2, alpha), h = a.n.x <= b.n.x ? -1 : 1;
        if (!a.n.fixed) a.n.vx += h * side;
        if (!b.n.fixed) b.n.vx -= h * side;
      }
    }
  };

  Graph.prototype.run = function (ticks) {
    var self = this, left = ticks;
    if (this.running) { this.left = Math.max(this.left, ticks); return; }
    this.running = true; this.left = ticks;
    function frame() {
      var batch = self.nodes.length > 400 ? 1 : 3;
      for (var i = 0; i < batch && self.left > 0; i++, self.left--) self.step(Math.max(0.05, self.left / ticks));
      self.tick();
      if (!self.userMoved && (self.left % 30 < batch || self.left <= 0)) self.fit();
      if (self.left > 0) window.requestAnimationFrame(frame); else { self.running = false; self.box.setAttribute("data-settled", "true"); }
    }
    window.requestAnimationFrame(frame);
    left = 0;
  };

  /* Labels keep their size on screen (11 px, CJK about one em a character), so the scale is
     chosen such that every label, drawn right of its node, ends inside the box: none is clipped. */
  Graph.prototype.fit = function () {
    var self = this, minX = Infinity, maxX = -Infinity, minY = Infinity, maxY = -Infinity, shown = [];
    this.nodes.forEach(function (n) {
      if (!self.visible(n)) return;
      shown.push(n);
      minX = Math.min(minX, n.x - n.r); maxX = Math.max(maxX, n.x + n.r);
      minY = Math.min(minY, n.y - n.r); maxY = Math.max(maxY, n.y + n.r);
    });
    if (!isFinite(minX)) return;
    var pad = 12, w = this.width - 2 * pad, h = this.height - 2 * pad;
    var k = Math.min(2, w / ((maxX - minX) || 1), h / ((maxY - minY) || 1));
    var labelled = this.svg.classList.contains("zoomed");
    shown.forEach(function (n) {
      var textEl = n.el.querySelector("text");
      if (!textEl || (textEl.classList.contains("minor") && !labelled)) return;
      var px = labelWidth(n.text || "") + 4;
      var span = n.x + n.r - minX;
      if (span > 0 && w - px > 20) k = Math.min(k, (w - px) / span);
    });
    k = Math.max(0.05, k);
    var right = 0;
    shown.forEach(function (n) { right = Math.max(right, (n.x + n.r - minX) * k + labelWidth(n.text || "") + 4); });
    this.view = {k: k, x: pad - minX * k + Math.max(0, (w - right) / 2),
                 y: pad - minY * k + (h - (maxY - minY) * k) / 2};
    this.applyView();
  };

  /* On-screen width of a label, as wide as a highlighted one (13 px; others are 11 px): CJK
     characters, and the general punctuation CJK fonts draw full width (… — “ ”), take one em;
     other characters about 0.6 em. Overestimating keeps every label inside the box. */
  function labelWidth(text) {
    var px = 0;
    for (var i = 0; i < text.length; i++) {
      var c = text.charCodeAt(i);
      px += c > 0x2e7f || (c >= 0x2000 && c <= 0x206f) ? 13 : 7.5;
    }
    return px;
  }

  Graph.prototype.applyView = function () {
    var v = this.view;
    this.viewport.setAttribute("transform", "translate(" + v.x + "," + v.y + ") scale(" + v.k + ")");
    this.svg.classList.toggle("zoomed", v.k > 1.6);
    // labels and strokes keep their size on screen whatever the zoom
    this.viewport.style.setProperty("--label", (11 / Math.max(0.05, v.k)).toFixed(2) + "px");
    this.viewport.style.setProperty("--hl-label", (13 / Math.max(0.05, v.k)).toFixed(2) + "px");
    this.viewport.style.setProperty("--stroke", (1 / Math.max(0.05, v.k)).toFixed(2));
  };

  Graph.prototype.toGraph = function (evt) {
    var rect = this.svg.getBoundingClientRect(), v = this.view;
    var px = (evt.clientX - rect.left) * this.width / rect.width, py = (evt.clientY - rect.top) * this.height / rect.height;
    return {x: (px - v.x) / v.k, y: (py - v.y) / v.k, px: px, py: py};
  };

  Graph.prototype.bind = function () {
    var self = this, drag = null;
    this.svg.addEventListener("wheel", function (evt) {
      evt.preventDefault();
      var p = self.toGraph(evt), v = self.view, k = Math.max(0.2, Math.min(8, v.k * (evt.deltaY < 0 ? 1.15 : 1 / 1.15)));
      v.x = p.px - p.x * k; v.y = p.py - p.y * k; v.k = k; self.userMoved = true; self.applyView();
    }, {passive: false});
    this.svg.addEventListener("pointerdown", function (evt) {
      var g = evt.target.closest && evt.target.closest("g.node");
      var p = self.toGraph(evt);
      drag = {node: null, start: p, moved: false, view: {x: self.view.x, y: self.view.y}};
      if (g) { drag.node = self.nodes.filter(function (n) { return n.el === g; })[0]; drag.node.fixed = true; }
      self.svg.setPointerCapture(evt.pointerId);
    });
    this.svg.addEventListener("pointermove", function (evt) {
      if (!drag) return;
      var p = self.toGraph(evt);
      if (Math.abs(p.px - drag.start.px) + Math.abs(p.py - drag.start.py) > 4) drag.moved = true;
      if (!drag.moved) return;
      if (drag.node) { drag.node.x = p.x; drag.node.y = p.y; self.tick(); self.run(40); }
      else { self.userMoved = true; self.view.x = drag.view.x + (p.px - drag.start.px); self.view.y = drag.view.y + (p.py - drag.start.py); self.applyView(); }
    });
    this.svg.addEventListener("pointerup", function () {
      if (drag && drag.node) {
        drag.node.fixed = false;
        if (!drag.moved) self.open(drag.node);
      }
      drag = null;
    });
    this.svg.addEventListener("keydown", function (evt) {
      var g = evt.target.closest && evt.target.closest("g.node");
      if (g && evt.key === "Enter") self.open(self.nodes.filter(function (n) { return n.el === g; })[0]);
    });
  };

  Graph.prototype.open = function (node) {
    window.location.href = node.url || ("/resource?iri=" + encodeURIComponent(node.id));
  };

  Graph.prototype.legend = function (list) {
    var self = this, counts = {};
    this.nodes.forEach(function (n) { counts[n.type] = (counts[n.type] || 0) + 1; });
    list.innerHTML = "";
    Object.keys(counts).sort(function (a, b) { return counts[b] - counts[a]; }).forEach(function (t) {
      var li = document.createElement("li"), sw = document.createElement("span");
      sw.className = "swatch"; sw.style.background = colour(t);
      li.appendChild(sw);
      li.appendChild(document.createTextNode((NAMES[t] || t) + " (" + counts[t] + ")"));
      li.setAttribute("data-type", t); li.tabIndex = 0;
      li.addEventListener("click", function () {
        self.hidden[t] = !self.hidden[t]; li.classList.toggle("off", !!self.hidden[t]); self.refreshVisibility();
        if (!self.userMoved) self.fit();
      });
      list.appendChild(li);
    });
  };

  function areaOptions(select, nodes) {
    if (!select) return;
    var have = {};
    Array.prototype.forEach.call(select.options, function (o) { have[o.value] = o; });
    nodes.forEach(function (n) {
      if ((n.type === "Section" || n.type === "Part") && !have[n.id]) {
        var o = document.createElement("option"); o.value = n.id; o.textContent = short(n.label, 24);
        select.appendChild(o); have[n.id] = o;
      } else if (have[n.id]) { have[n.id].textContent = short(n.label, 24); }
    });
  }

  function load(container) {
    var src = container.getAttribute("data-graph-src");
    container.setAttribute("data-state", "loading");
    fetch(src, {headers: {Accept: "application/json"}}).then(function (r) {
      return r.json().then(function (body) { if (!r.ok) throw new Error((body.error && body.error.message) || r.statusText); return body; });
    }).then(function (data) {
      var graph = new Graph(container, data);
      container.graph = graph;
      container.setAttribute("data-state", "ready");
      container.setAttribute("data-mode", data.mode || "");
      if (data.centre) container.setAttribute("data-centre", data.centre);
      // the map drawn without a document asked for is the largest one: the list says which
      var chosen = document.getElementById("document-select");
      if (chosen && data.mode === "map" && data.document && container.id === "graph") chosen.value = data.document;
      var legend = document.querySelector("#legend ul");
      if (legend && container.id === "graph") {
        graph.legend(legend);
        areaOptions(document.getElementById("area-select"), graph.nodes);
        var status = document.getElementById("graph-status");
        if (status) status.textContent = graph.nodes.length + " 个节点 nodes · " + graph.links.length + " 条边 links";
        var more = document.getElementById("show-more");
        if (more && data.more > 0) {
          var url = new URL(window.location.href);
          var limit = parseInt(url.searchParams.get("limit") || "80", 10);
          url.searchParams.set("limit", String(Math.min(400, limit + 60)));
          more.href = url.pathname + url.search;
          more.textContent = "显示更多 show more (+" + Math.min(60, data.more) + " / " + data.more + ")";
          more.hidden = false;
        }
      }
      if (!data.nodes || !data.nodes.length) container.innerHTML = '<p class="empty">没有可显示的节点。Nothing to show.</p>';
    }).catch(function (err) {
      container.setAttribute("data-state", "error");
      var figure = container.closest && container.closest("figure.mini-graph");
      if (figure) { figure.hidden = true; return; }  // a page's small graph: nothing to draw here
      container.textContent = "无法加载图谱 · cannot load the graph: " + err.message;
    });
  }

  /* The drawn graph as a standalone SVG (styles inlined), and as a PNG drawn from it. */
  function standaloneSvg(container) {
    var svg = container.querySelector("svg");
    var copy = svg.cloneNode(true);
    copy.setAttribute("xmlns", SVG);
    copy.setAttribute("width", String(container.graph.width));
    copy.setAttribute("height", String(container.graph.height));
    var style = document.createElementNS(SVG, "style");
    style.textContent = "line.link{stroke:#b8c1ca;stroke-width:1} g.node circle{stroke:#fff;stroke-width:1.5}" +
      " g.node.highlight circle{stroke:#111;stroke-width:3} text{font-family:sans-serif;font-size:11px;fill:#2b333b;" +
      "paint-order:stroke;stroke:#fff;stroke-width:3px} text.minor{display:none} g.node.highlight text{font-weight:bold}";
    copy.insertBefore(style, copy.firstChild);
    copy.querySelector("g.viewport").setAttribute("style", container.graph.viewport.getAttribute("style") || "");
    copy.querySelectorAll("[style*='display: none']").forEach(function (e) { e.parentNode.removeChild(e); });
    var bg = document.createElementNS(SVG, "rect");
    bg.setAttribute("width", "100%"); bg.setAttribute("height", "100%"); bg.setAttribute("fill", "#fff");
    copy.insertBefore(bg, style.nextSibling);
    return new XMLSerializer().serializeToString(copy);
  }
  function download(blob, name) {
    var a = document.createElement("a");
    a.href = URL.createObjectURL(blob); a.download = name;
    document.body.appendChild(a); a.click(); document.body.removeChild(a);
    setTimeout(function () { URL.revokeObjectURL(a.href); }, 1000);
  }
  function bindExports() {
    var container = document.getElementById("graph");
    var svgButton = document.getElementById("export-svg"), pngButton = document.getElementById("export-png");
    if (!container || !svgButton) return;
    svgButton.addEventListener("click", function () {
      if (!container.graph) return;
      download(new Blob([standaloneSvg(container)], {type: "image/svg+xml"}), "policykg-graph.svg");
    });
    pngButton.addEventListener("click", function () {
      if (!container.graph) return;
      var image = new Image(), g = container.graph;
      image.onload = function () {
        var canvas = document.createElement("canvas");
        canvas.width = g.width * 2; canvas.height = g.height * 2;
        var ctx = canvas.getContext("2d");
        ctx.scale(2, 2); ctx.drawImage(image, 0, 0);
        canvas.toBlob(function (blob) { download(blob, "policykg-graph.png"); }, "image/png");
      };
      image.src = "data:image/svg+xml;charset=utf-8," + encodeURIComponent(standaloneSvg(container));
    });
  }
  /* The centre box suggests names (labels and aliases) as one types. */
  function bindSuggestions() {
    var input = document.getElementById("centre-input"), list = document.getElementById("centre-names");
    if (!input || !list) return;
    var timer = null, last = "";
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        var q = input.value.trim();
        if (!q || q === last || q.indexOf("://") >= 0) return;
        last = q;
        fetch("/api/suggest?q=" + encodeURIComponent(q), {headers: {Accept: "application/json"}})
          .then(function (r) { return r.ok ? r.json() : []; })
          .then(function (names) {
            list.innerHTML = "";
            names.forEach(function (n) {
              var o = document.createElement("option");
              o.value = n.label; o.label = n.label + (n.en ? " · " + n.en : "") + " · " + (NAMES[n.type] || n.type);
              list.appendChild(o);
            });
          }).catch(function () {});
      }, 150);
    });
  }

  document.querySelectorAll("[data-graph-src]").forEach(load);
  bindExports();
  bindSuggestions();
})();
