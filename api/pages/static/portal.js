/* Progressive enhancement of the portal: accessibility tools, read-aloud, region shortcuts, suggestions and voice
   input. Pages work without it; it calls only the public /graphql endpoint, like any frontend. */
(function () {
  "use strict";
  var root = document.documentElement;
  var TOOLS = ["cursor", "contrast", "text", "zoom", "captions", "guide", "speak"];
  var YEAR = 365 * 24 * 3600;

  function gql(query, variables) {
    return fetch("/graphql", {
      method: "POST",
      headers: { "content-type": "application/json", "accept": "application/json" },
      body: JSON.stringify({ query: query, variables: variables || {} }),
      keepalive: true,
      credentials: "same-origin"
    }).then(function (r) { return r.json(); });
  }

  /* ---- toolbar: switches remembered in a cookie the server reads too (no flash on the next page) ---- */
  function on(tool) { return root.classList.contains("a11y-" + tool); }
  function save() {
    var active = TOOLS.filter(on);
    document.cookie = "yw_a11y=" + active.join(".") + "; path=/; max-age=" + YEAR + "; samesite=lax";
  }
  function sync() {
    document.querySelectorAll("[data-tool]").forEach(function (b) {
      if (b.dataset.tool !== "reset") b.setAttribute("aria-pressed", on(b.dataset.tool) ? "true" : "false");
    });
  }
  document.querySelectorAll("[data-tool]").forEach(function (b) {
    b.addEventListener("click", function () {
      var tool = b.dataset.tool;
      if (tool === "reset") {
        TOOLS.forEach(function (t) { root.classList.remove("a11y-" + t); });
        speech.stop();
      } else {
        root.classList.toggle("a11y-" + tool);
        if (tool === "speak" && !on("speak")) speech.stop();
      }
      save(); sync();
      say(b.textContent + (tool === "reset" ? "：已恢复默认" : on(tool) ? "：已开启" : "：已关闭"));
    });
  });
  sync();

  function state(text) { var s = document.getElementById("speech-state"); if (s) s.textContent = text; }

  /* ---- read-aloud: point reading, continuous reading, speed and volume. The Web Speech API where the browser
     has it; else the server's /speech (audio/wav) when the page says the server has an engine ---- */
  var speech = (function () {
    var synth = window.speechSynthesis, server = !synth && root.dataset.serverSpeech === "1";
    var prefs = { rate: 1, volume: 1 };
    try { Object.assign(prefs, JSON.parse(localStorage.getItem("yw_speech") || "{}")); } catch (e) { /* defaults */ }
    var queue = [], current = null, audio = null;
    function serverUtter(text, done) {
      if (audio) { audio.pause(); audio.onended = null; }
      var params = new URLSearchParams({ text: text.slice(0, 500), rate: String(prefs.rate) });
      audio = new Audio("/speech?" + params.toString());
      audio.volume = prefs.volume;
      audio.onended = done || null;
      audio.onerror = function () { queue = []; state("朗读失败：服务器无法朗读这段文字"); };
      audio.play().catch(function () { state("朗读失败：请先点击页面再试"); });
    }
    function utter(text, done) {
      if (server) { serverUtter(text, done); return; }
      var u = new SpeechSynthesisUtterance(text);
      u.lang = "zh-CN"; u.rate = prefs.rate; u.volume = prefs.volume;
      u.onend = done || null;
      synth.speak(u);
    }
    function cancel() {
      if (synth) synth.cancel();
      if (audio) { audio.onended = null; audio.pause(); audio = null; }
    }
    function mark(el) { if (current) current.classList.remove("speaking"); current = el; if (el) el.classList.add("speaking"); }
    function next() {
      var el = queue.shift();
      if (!el) { mark(null); state("朗读结束"); return; }
      mark(el); el.scrollIntoView({ block: "center" });
      utter(el.innerText.trim(), next);
    }
    var can = !!synth || server;
    return {
      available: can,
      speak: function (text) { if (!can || !text) return; cancel(); utter(text.slice(0, 300)); },
      continuous: function () {
        if (!can) return;
        cancel();
        queue = Array.prototype.slice.call(document.querySelectorAll("main h1, main h2, main h3, main p, main li, main td, main dt, main dd"))
          .filter(function (el) { return el.innerText && el.innerText.trim() && !el.closest(".visually-hidden"); });
        state("连续朗读中"); next();
      },
      stop: function () { queue = []; mark(null); cancel(); state(""); },
      adjust: function (what, by) {
        var limits = { rate: [0.5, 2], volume: [0.1, 1] };
        prefs[what] = Math.min(limits[what][1], Math.max(limits[what][0], Math.round((prefs[what] + by) * 10) / 10));
        localStorage.setItem("yw_speech", JSON.stringify(prefs));
        if (audio && what === "volume") audio.volume = prefs.volume;
        state((what === "rate" ? "语速 " : "音量 ") + prefs[what]);
      }
    };
  })();
  function say(text) { if (on("speak")) speech.speak(text); }
  document.querySelectorAll("[data-speech]").forEach(function (b) {
    b.addEventListener("click", function () {
      var a = b.dataset.speech;
      if (a === "continuous") speech.continuous();
      else if (a === "stop") speech.stop();
      else if (a === "slower") speech.adjust("rate", -0.2);
      else if (a === "faster") speech.adjust("rate", 0.2);
      else if (a === "quieter") speech.adjust("volume", -0.2);
      else if (a === "louder") speech.adjust("volume", 0.2);
    });
  });

  /* ---- point reading and large captions: the text (or text description) of what is pointed at or focused ---- */
  function describe(el) {
    var target = el.closest("a, button, input, h1, h2, h3, p, li, td, th, dt, dd, label, img, svg") || el;
    var label = target.getAttribute("aria-label") || target.getAttribute("alt") || target.getAttribute("title");
    if (!label && target.tagName === "INPUT") {
      var l = document.querySelector("label[for='" + target.id + "']");
      label = (l ? l.innerText : "") + " " + target.value;
    }
    if (!label && target.tagName.toLowerCase() === "svg") { var t = target.querySelector("title"); label = t ? t.textContent : ""; }
    var text = (label || target.innerText || "").replace(/\s+/g, " ").trim();
    var role = target.tagName === "A" ? "链接：" : target.tagName === "BUTTON" ? "按钮：" : "";
    return role + text;
  }
  var caption = document.getElementById("caption"), lastText = "";
  function point(ev) {
    if (!on("speak") && !on("captions")) return;
    if (ev.target.closest && ev.target.closest("#caption")) return;
    var text = describe(ev.target);
    if (!text || text === lastText) return;
    lastText = text;
    if (on("captions") && caption) caption.textContent = text;
    say(text);
  }
  document.addEventListener("mouseover", point);
  document.addEventListener("focusin", point);

  /* ---- reading guide lines follow the pointer ---- */
  var gx = document.getElementById("guide-x"), gy = document.getElementById("guide-y");
  document.addEventListener("mousemove", function (ev) {
    if (!on("guide") || !gx || !gy) return;
    gx.style.top = ev.clientY + "px";
    gy.style.left = ev.clientX + "px";
  });

  /* ---- page regions: Alt+Shift+0…4 ---- */
  document.addEventListener("keydown", function (ev) {
    if (ev.altKey && ev.shiftKey && /^Digit[0-4]$/.test(ev.code)) {
      var region = document.querySelector("[data-region='" + ev.code.slice(5) + "']");
      if (!region) return;
      ev.preventDefault();
      var first = region.querySelector("a, button:not([hidden]), input");
      var target = region.id === "main" ? region : first || region;
      target.focus();
      say(region.getAttribute("aria-label") || "");
    }
  });

  /* ---- suggestions while typing (combobox), and voice input where the browser can ---- */
  var q = document.getElementById("q"), box = document.getElementById("suggestions"), timer = null, active = -1;
  function close() { if (!box) return; box.hidden = true; box.textContent = ""; q.setAttribute("aria-expanded", "false"); q.removeAttribute("aria-activedescendant"); active = -1; }
  function choose(text) { q.value = text; close(); q.form.submit(); }
  function show(items) {
    box.textContent = "";
    items.forEach(function (s, i) {
      var li = document.createElement("li");
      li.id = "suggestion-" + i; li.setAttribute("role", "option"); li.setAttribute("aria-selected", "false");
      li.textContent = s.text;
      li.addEventListener("mousedown", function (e) { e.preventDefault(); choose(s.text); });
      box.appendChild(li);
    });
    box.hidden = items.length === 0;
    q.setAttribute("aria-expanded", items.length ? "true" : "false");
  }
  function move(by) {
    var options = box.querySelectorAll("[role=option]");
    if (!options.length) return;
    active = (active + by + options.length) % options.length;
    options.forEach(function (o, i) { o.setAttribute("aria-selected", i === active ? "true" : "false"); });
    q.setAttribute("aria-activedescendant", options[active].id);
  }
  if (q && box) {
    q.addEventListener("input", function () {
      clearTimeout(timer);
      var prefix = q.value.trim();
      if (!prefix) { close(); return; }
      timer = setTimeout(function () {
        gql("query Suggest($prefix: String!) { suggest(prefix: $prefix, limit: 8) { text source } }", { prefix: prefix })
          .then(function (r) { if (q.value.trim() === prefix) show((r.data && r.data.suggest) || []); })
          .catch(close);
      }, 150);
    });
    q.addEventListener("keydown", function (ev) {
      if (ev.key === "ArrowDown") { ev.preventDefault(); move(1); }
      else if (ev.key === "ArrowUp") { ev.preventDefault(); move(-1); }
      else if (ev.key === "Escape") { close(); }
      else if (ev.key === "Enter" && active >= 0) { ev.preventDefault(); choose(box.querySelectorAll("[role=option]")[active].textContent); }
    });
    q.addEventListener("blur", function () { setTimeout(close, 100); });
  }
  var Recognition = window.SpeechRecognition || window.webkitSpeechRecognition, voice = document.getElementById("voice");
  if (Recognition && voice && q) {  /* shown by CSS (early.js marks has-voice) */
    voice.addEventListener("click", function () {
      var r = new Recognition();
      r.lang = "zh-CN"; r.interimResults = false;
      r.onresult = function (ev) { q.value = ev.results[0][0].transcript; q.form.submit(); };
      r.onerror = function () { say("没有听清，请再说一遍或用键盘输入"); };
      r.start();
      say("请说出要搜索的内容");
    });
  }

  /* ---- a result opened: recordClick with the signed search id, as search analytics expects ---- */
  document.addEventListener("click", function (ev) {
    var a = ev.target.closest && ev.target.closest("a[data-search]");
    if (!a) return;
    gql("mutation Click($s: String!, $d: ID!, $p: Int!) { recordClick(searchId: $s, documentId: $d, position: $p) }",
      { s: a.dataset.search, d: a.dataset.document, p: parseInt(a.dataset.position, 10) }).catch(function () {});
  });

  /* ---- Q&A: the answer just given gets the focus, so keyboard and screen-reader users land on it ---- */
  var answer = document.getElementById("answer");
  if (answer) { answer.focus(); say(answer.innerText); }
  /* ---- the user space: a letter just sent is announced and focused ---- */
  var sent = document.getElementById("sent");
  if (sent) { sent.focus(); say(sent.innerText); }
})();
