/* The big screen's live panels: the public GraphQL subscriptions over a WebSocket (graphql-transport-ws),
   reconnecting with backoff. Text goes in with textContent only: alert summaries are never parsed as HTML. */
(function () {
  "use strict";
  var screen = document.getElementById("screen");
  if (!screen) return;
  var site = screen.dataset.site, delay = 1000, MAX_ALERTS = 30;
  var alerts = document.getElementById("alerts"), hot = document.getElementById("hot-queries");
  var alertState = document.getElementById("alert-state"), hotState = document.getElementById("hot-state");

  function item(cls, parts) {
    var li = document.createElement("li");
    li.className = cls;
    parts.forEach(function (p) {
      var span = document.createElement("span");
      if (p[0]) span.className = p[0];
      span.textContent = p[1];
      li.appendChild(span);
      li.appendChild(document.createTextNode(" "));
    });
    return li;
  }
  function showAlert(a) {
    var empty = alerts.querySelector(".empty");
    if (empty) empty.remove();
    var li = item(a.state + " new", [["rule", (a.state === "opened" ? "新告警 " : "已恢复 ") + a.rule], ["", a.summary], ["time", a.at.slice(11, 19)]]);
    li.dataset.finding = a.findingId;
    alerts.insertBefore(li, alerts.firstChild);
    while (alerts.children.length > MAX_ALERTS) alerts.removeChild(alerts.lastChild);
    setTimeout(function () { li.classList.remove("new"); }, 5000);
  }
  function showHot(list) {
    hot.textContent = "";
    if (!list.length) { hot.appendChild(item("empty", [["", "暂无搜索"]])); return; }
    list.forEach(function (h) { hot.appendChild(item("", [["q", h.query], ["n", String(h.searches)]])); });
  }

  function connect() {
    var ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/graphql", "graphql-transport-ws");
    ws.onopen = function () { ws.send(JSON.stringify({ type: "connection_init", payload: {} })); };
    ws.onmessage = function (ev) {
      var msg = JSON.parse(ev.data);
      if (msg.type === "connection_ack") {
        delay = 1000;
        ws.send(JSON.stringify({ id: "alerts", type: "subscribe", payload: { query: screen.dataset.alertsQuery, variables: { site: site } } }));
        ws.send(JSON.stringify({ id: "hot", type: "subscribe", payload: { query: screen.dataset.hotQuery, variables: {} } }));
        alertState.textContent = "实时"; hotState.textContent = "实时";
        screen.dataset.live = "1";
      } else if (msg.type === "ping") {
        ws.send(JSON.stringify({ type: "pong" }));
      } else if (msg.type === "next" && msg.payload && msg.payload.data) {
        if (msg.id === "alerts") showAlert(msg.payload.data.alerts);
        else if (msg.id === "hot") showHot(msg.payload.data.hotQueries);
      }
    };
    ws.onclose = function () {
      screen.dataset.live = "0";
      alertState.textContent = "重新连接中"; hotState.textContent = "重新连接中";
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 30000);
    };
  }
  connect();
})();
