/*
 * Athena Pay portal: the copy buttons (a Pix key, a Pix code, a boleto's linha digitavel,
 * an end-to-end id). Everything works without this file except those buttons, which stay
 * hidden until we know the page can copy: without JavaScript the text itself is selectable
 * (class "copyable" selects it whole on a tap). An external file: the
 * Content-Security-Policy allows no inline script. The Pix send form's tabs and the key
 * form's phone/e-mail field are CSS (:has), not here.
 *
 * Markup (templates/includes/copy_button.html):
 *   <button data-copy-target="ID" data-copy-status="STATUS_ID" data-copied-text="..."
 *           data-copy-failed-text="..." hidden>...</button>
 *   <span id="STATUS_ID" role="status"></span>
 * The target is a form field (its value is copied) or any element (its text is copied).
 */
(function () {
  "use strict";

  function isField(target) {
    return target.tagName === "TEXTAREA" || target.tagName === "INPUT";
  }

  function textOf(target) {
    return isField(target) ? target.value : target.textContent.trim();
  }

  // Select the target so that the customer can copy it by hand when the browser refuses.
  function selectTarget(target) {
    if (isField(target)) {
      target.focus();
      target.select();
      return;
    }
    var selection = window.getSelection();
    var range = document.createRange();
    range.selectNodeContents(target);
    selection.removeAllRanges();
    selection.addRange(range);
  }

  function copyText(target) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(textOf(target));
    }
    // Older browsers and plain-http hosts: select the text and use the legacy command.
    return new Promise(function (resolve, reject) {
      selectTarget(target);
      try {
        if (document.execCommand("copy")) {
          resolve();
          return;
        }
      } catch (err) {
        /* fall through */
      }
      reject(new Error("copy refused"));
    });
  }

  function say(status, text, state) {
    if (!status) {
      return;
    }
    // Emptied first, so that a second copy is announced again by screen readers.
    status.textContent = "";
    status.setAttribute("data-state", state);
    window.setTimeout(function () {
      status.textContent = text;
    }, 50);
  }

  var buttons = document.querySelectorAll("[data-copy-target]");
  for (var i = 0; i < buttons.length; i++) {
    (function (button) {
      var target = document.getElementById(button.getAttribute("data-copy-target"));
      var status = document.getElementById(button.getAttribute("data-copy-status"));
      if (!target) {
        return;
      }
      button.hidden = false;
      button.addEventListener("click", function () {
        copyText(target).then(
          function () {
            say(status, button.getAttribute("data-copied-text"), "copied");
          },
          function () {
            selectTarget(target);
            say(status, button.getAttribute("data-copy-failed-text"), "failed");
          }
        );
      });
    })(buttons[i]);
  }
})();
