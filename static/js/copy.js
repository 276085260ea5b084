/*
 * Athena Pay portal: the copy buttons (a Pix code, a boleto's linha digitavel). Everything
 * works without this file except those buttons, which stay hidden until we know the page
 * can copy. An external file: the Content-Security-Policy allows no inline script. The Pix
 * send form's tabs and the key form's phone/e-mail field are CSS (:has), not here.
 */
(function () {
  "use strict";

  function copyText(target) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(target.value || target.textContent);
    }
    // Older browsers and plain-http hosts: select the text and use the legacy command.
    return new Promise(function (resolve, reject) {
      target.focus();
      target.select();
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
            if (status) {
              status.textContent = button.getAttribute("data-copied-text");
            }
          },
          function () {
            target.focus();
            target.select();
            if (status) {
              status.textContent = button.getAttribute("data-copy-failed-text");
            }
          }
        );
      });
    })(buttons[i]);
  }
})();
