/*
 * Athena Pay portal: live balances on the dashboard. No build step, no dependencies
 * (htmx, loaded by base.html, refreshes the lists when asked to).
 *
 * The page marks its balances section with data-balance-socket="/ws/balances/". We open a
 * websocket there (wss:// on https pages), and for each "balance.changed" event:
 *   - put the server-formatted amounts into [data-balance-for=<id>] and
 *     [data-available-for=<id>] (the page never formats money itself);
 *   - when the balance went up, show a short "money received" toast;
 *   - fire "balance-changed" on <body>, which makes htmx reload the recent activity.
 * A "pix.received" event shows a toast naming the amount and the payer (masked name).
 * If the socket drops we reconnect with exponential backoff (1 s doubling to 30 s, with
 * jitter), and after a reconnection fire "balances-stale" so htmx reloads balances and
 * activity, since events sent while we were away are gone.
 */
(function () {
  "use strict";

  var root = document.querySelector("[data-balance-socket]");
  if (!root || !("WebSocket" in window)) {
    return;
  }

  var MIN_DELAY = 1000;
  var MAX_DELAY = 30000;
  var TOAST_MS = 6000;
  var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
  var url = scheme + window.location.host + root.getAttribute("data-balance-socket");
  var delay = MIN_DELAY;
  var socket = null;
  var everOpened = false;
  var leaving = false;
  var retryTimer = null;

  function setState(state) {
    root.setAttribute("data-socket-state", state);
  }

  function fire(name, detail) {
    document.body.dispatchEvent(new CustomEvent(name, { bubbles: true, detail: detail || {} }));
  }

  function setAmount(selector, cents, text) {
    var nodes = document.querySelectorAll(selector);
    for (var i = 0; i < nodes.length; i++) {
      nodes[i].textContent = text;
      nodes[i].setAttribute("data-cents", String(cents));
      nodes[i].classList.remove("balance--flash");
      void nodes[i].offsetWidth; // restart the animation
      nodes[i].classList.add("balance--flash");
    }
  }

  function toast(text) {
    var region = document.getElementById("toast-region");
    if (!region || !text) {
      return;
    }
    var item = document.createElement("p");
    item.className = "toast";
    item.textContent = text;
    region.appendChild(item);
    window.setTimeout(function () {
      item.remove();
    }, TOAST_MS);
  }

  function onBalanceChanged(data) {
    var id = String(data.account_id);
    var shown = document.querySelector('[data-balance-for="' + id + '"]');
    var before = shown ? parseInt(shown.getAttribute("data-cents"), 10) : NaN;
    setAmount('[data-balance-for="' + id + '"]', data.balance, data.balance_display);
    setAmount('[data-available-for="' + id + '"]', data.available_balance, data.available_balance_display);
    if (!isNaN(before) && data.balance > before) {
      toast(root.getAttribute("data-toast-credit"));
    }
    fire("balance-changed", data);
  }

  // "pix.received": who paid and how much, in the page's language (data-toast-pix holds
  // the translated text with %(amount)s and %(payer)s in it).
  function onPixReceived(data) {
    var text = root.getAttribute("data-toast-pix");
    if (!text || !data.amount_display) {
      return;
    }
    toast(text.replace("%(amount)s", data.amount_display).replace("%(payer)s", data.payer_name || ""));
  }

  function scheduleReconnect() {
    if (leaving || retryTimer) {
      return;
    }
    var wait = delay + Math.floor(Math.random() * delay * 0.3);
    delay = Math.min(delay * 2, MAX_DELAY);
    retryTimer = window.setTimeout(function () {
      retryTimer = null;
      connect();
    }, wait);
  }

  function connect() {
    setState("connecting");
    try {
      socket = new WebSocket(url);
    } catch (err) {
      scheduleReconnect();
      return;
    }
    socket.addEventListener("open", function () {
      delay = MIN_DELAY;
      setState("open");
      if (everOpened) {
        fire("balances-stale");
      }
      everOpened = true;
    });
    socket.addEventListener("message", function (event) {
      var data;
      try {
        data = JSON.parse(event.data);
      } catch (err) {
        return;
      }
      if (data && data.type === "balance.changed") {
        onBalanceChanged(data);
      } else if (data && data.type === "pix.received") {
        onPixReceived(data);
      }
    });
    socket.addEventListener("close", function () {
      setState("closed");
      scheduleReconnect();
    });
  }

  window.addEventListener("pagehide", function () {
    leaving = true;
    if (socket) {
      socket.close();
    }
  });
  window.addEventListener("pageshow", function (event) {
    if (event.persisted && leaving) {
      // Back from the browser's page cache: the socket was closed on the way out.
      leaving = false;
      connect();
    }
  });

  connect();
})();
