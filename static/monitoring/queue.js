// Compliance queue: a banner when a new monitoring alert arrives (ws/compliance/queue/).
(function () {
  "use strict";
  var banner = document.getElementById("queue-banner");
  var text = document.getElementById("queue-banner-text");
  if (!banner || !window.WebSocket) return;
  var labels = JSON.parse(document.getElementById("queue-i18n").textContent);
  var count = 0;
  var delay = 1000;
  function connect() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + window.location.host + "/ws/compliance/queue/");
    socket.onopen = function () {
      delay = 1000;
      banner.setAttribute("data-socket-state", "open");
    };
    socket.onmessage = function (message) {
      var event;
      try { event = JSON.parse(message.data); } catch (e) { return; }
      if (event.type !== "alert.created") return;
      count += 1;
      text.textContent = labels.new_alert + " (" + count + "): #" + event.alert_id + " " +
        event.rule + " - " + event.customer + " - " + event.summary + ". ";
      banner.style.display = "block";
    };
    socket.onclose = function (event) {
      banner.setAttribute("data-socket-state", "closed");
      if (event.code >= 4400 && event.code < 4500) return;  // refused: do not insist
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 30000);
    };
  }
  connect();
})();
