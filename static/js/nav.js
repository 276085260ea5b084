/*
 * Athena Pay portal: the compact menu and the section tabs on narrow screens. No build step,
 * no dependencies; an external file (the Content-Security-Policy allows no inline script).
 *
 * Progressive: without this file the menu button stays hidden and every link of the header
 * shows (wrapping), so nothing is out of reach. With it:
 *   - the header gets data-menu="closed", which folds the navigation behind the button on
 *     narrow screens only (portal.css decides the width; on wide screens the button is not
 *     displayed and the navigation always shows);
 *   - the button is a disclosure (aria-expanded, aria-controls): Enter and Space toggle it
 *     (a native <button>), Escape closes the menu and puts the focus back on the button, and
 *     a click outside the header closes it;
 *   - each section's tab strip (Pix, boletos, TED, cards, loans) scrolls sideways inside
 *     itself; we scroll the current tab into view so that it is never hidden at the end;
 *   - a wide table's wrapper (.table-scroll) that does scroll becomes a named, focusable
 *     region, so that keyboard users can scroll it too (WCAG 2.1.1; axe's
 *     scrollable-region-focusable). One that fits stays out of the tab order.
 */
(function () {
  "use strict";

  function setUpMenu() {
    var toggle = document.querySelector("[data-nav-toggle]");
    if (!toggle) {
      return;
    }
    var header = toggle.closest(".site-header");
    var panel = document.getElementById(toggle.getAttribute("aria-controls"));
    if (!header || !panel) {
      return;
    }

    function isOpen() {
      return toggle.getAttribute("aria-expanded") === "true";
    }

    function setOpen(open) {
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
      header.setAttribute("data-menu", open ? "open" : "closed");
    }

    // The button is displayed only where the menu folds (portal.css): a hidden button means
    // the navigation is showing anyway, and Escape must not steal the focus.
    function folds() {
      return toggle.offsetParent !== null;
    }

    setOpen(false);
    toggle.hidden = false;

    toggle.addEventListener("click", function () {
      setOpen(!isOpen());
    });

    document.addEventListener("keydown", function (event) {
      if (event.key !== "Escape" || !isOpen() || !folds()) {
        return;
      }
      var focusWasInside = header.contains(document.activeElement);
      setOpen(false);
      if (focusWasInside || document.activeElement === document.body) {
        toggle.focus();
      }
    });

    document.addEventListener("click", function (event) {
      if (isOpen() && folds() && !header.contains(event.target)) {
        setOpen(false);
      }
    });
  }

  function showCurrentTabs() {
    var strips = document.querySelectorAll(".pix-nav ul");
    for (var i = 0; i < strips.length; i++) {
      var strip = strips[i];
      var current = strip.querySelector('[aria-current="page"]');
      if (!current || strip.scrollWidth <= strip.clientWidth) {
        continue;
      }
      // Centre the current tab in its strip; scrollLeft (not scrollIntoView) so that the
      // page itself never scrolls.
      var left = current.offsetLeft - (strip.clientWidth - current.offsetWidth) / 2;
      strip.scrollLeft = Math.max(0, left);
    }
  }

  // A scroller names itself after its table's caption; without one it stays unnamed (its
  // section is the landmark already, and a second one of the same name would confuse).
  function captionOf(scroller) {
    var caption = scroller.querySelector("caption");
    return caption ? caption.textContent.trim() : "";
  }

  function focusableScrollers() {
    var scrollers = document.querySelectorAll(".table-scroll");
    for (var i = 0; i < scrollers.length; i++) {
      var scroller = scrollers[i];
      if (scroller.scrollWidth > scroller.clientWidth + 1) {
        if (!scroller.hasAttribute("tabindex")) {
          scroller.setAttribute("tabindex", "0");
          scroller.setAttribute("data-scroll-focus", "");
        }
        var name = captionOf(scroller);
        if (name && !scroller.hasAttribute("aria-label")) {
          scroller.setAttribute("role", "region");
          scroller.setAttribute("aria-label", name);
        }
      } else if (scroller.hasAttribute("data-scroll-focus")) {
        scroller.removeAttribute("tabindex");
        scroller.removeAttribute("data-scroll-focus");
      }
    }
  }

  setUpMenu();
  showCurrentTabs();
  focusableScrollers();
  var resizeTimer = null;
  window.addEventListener("resize", function () {
    window.clearTimeout(resizeTimer);
    resizeTimer = window.setTimeout(focusableScrollers, 150);
  });
})();
