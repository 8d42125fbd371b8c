/* Riskboard: small enhancements for every page. The pages work without it. */
(function () {
  "use strict";

  // Move focus to an error summary or alert on load, so screen readers announce it at once.
  var first = document.querySelector("[data-autofocus]");
  if (first) {
    first.focus();
  }

  // Error-summary links: focus the field itself, and scroll so its label or legend shows too.
  document.addEventListener("click", function (event) {
    var link = event.target.closest(".error-summary a[href^='#'], .callout a[href^='#']");
    if (!link) {
      return;
    }
    var target = document.getElementById(decodeURIComponent(link.getAttribute("href").slice(1)));
    if (!target) {
      return;
    }
    var context = target.closest("fieldset, .field, section") || target;
    event.preventDefault();
    context.scrollIntoView();
    var focusable = target.matches("input, select, textarea, button, a[href]")
      ? target
      : target.querySelector("input, select, textarea");
    if (focusable) {
      focusable.focus({ preventScroll: true });
    } else {
      target.setAttribute("tabindex", "-1");
      target.focus({ preventScroll: true });
    }
    if (history.replaceState) {
      history.replaceState(null, "", link.getAttribute("href"));
    }
  });
})();
