/* The assessment form, enhanced: the band shows as levels are chosen, the progress counts
   categories as they become fully rated, a residual level above its inherent level prompts for
   a rationale, and leaving with unsaved changes asks first. Without JavaScript the server
   computes all of this on every save. */
(function () {
  "use strict";

  var form = document.querySelector("[data-assessment-form]");
  var matrixData = document.getElementById("risk-matrix");
  if (!form || !matrixData) {
    return;
  }
  var matrix = JSON.parse(matrixData.textContent);
  var LEVELS = ["inherent_likelihood", "inherent_impact", "residual_likelihood", "residual_impact"];

  function chosen(section, name) {
    var input = section.querySelector("[data-level='" + name + "'] input:checked");
    return input && input.value !== "" ? parseInt(input.value, 10) : null;
  }

  function bandChip(band, emptyText) {
    var chip = document.createElement("span");
    chip.className = "band";
    if (!band) {
      chip.className += " band--none";
      chip.textContent = emptyText;
      return chip;
    }
    chip.setAttribute("data-band-code", band.code);
    var swatch = document.createElement("span");
    swatch.className = "band__swatch";
    swatch.setAttribute("aria-hidden", "true");
    swatch.style.backgroundColor = band.colour;
    chip.appendChild(swatch);
    chip.appendChild(document.createTextNode(band.label));
    return chip;
  }

  function updateBand(section, pair) {
    var output = section.querySelector("[data-band-output='" + pair + "']");
    if (!output) {
      return;
    }
    var likelihood = chosen(section, pair + "_likelihood");
    var impact = chosen(section, pair + "_impact");
    var band = likelihood !== null && impact !== null ? matrix[likelihood + "-" + impact] : null;
    var current = output.querySelector("[data-band-code]");
    var code = current ? current.getAttribute("data-band-code") : null;
    if ((band ? band.code : null) === code && output.firstElementChild) {
      return; // unchanged: do not make screen readers announce it again
    }
    output.replaceChildren(bandChip(band, "Choose both levels"));
  }

  function isRated(section) {
    return LEVELS.every(function (name) { return chosen(section, name) !== null; });
  }

  function updateSection(section) {
    updateBand(section, "inherent");
    updateBand(section, "residual");
    var rated = isRated(section);
    var status = section.querySelector("[data-status]");
    if (status) {
      status.textContent = rated ? "Rated" : "Not rated yet";
    }
    var contents = document.querySelector("[data-status-for='" + section.getAttribute("data-category") + "']");
    if (contents) {
      contents.textContent = rated ? "Rated" : "Not rated";
    }
    var warning = section.querySelector("[data-residual-warning]");
    if (warning) {
      var above = ["likelihood", "impact"].some(function (axis) {
        var residual = chosen(section, "residual_" + axis);
        var inherent = chosen(section, "inherent_" + axis);
        return residual !== null && inherent !== null && residual > inherent;
      });
      warning.hidden = !above;
    }
  }

  function updateProgress() {
    var sections = form.querySelectorAll("[data-category]");
    var rated = 0;
    sections.forEach(function (section) { if (isRated(section)) { rated += 1; } });
    var count = document.querySelector("[data-rated-count]");
    var bar = document.querySelector("[data-progress]");
    if (count && count.textContent !== String(rated)) {
      count.textContent = String(rated);
    }
    if (bar) {
      bar.value = rated;
    }
  }

  // A page re-shown with errors or a conflict holds input that is not saved yet.
  var dirty = form.hasAttribute("data-unsaved");
  var submitting = false;

  form.addEventListener("change", function (event) {
    dirty = true;
    var section = event.target.closest("[data-category]");
    if (section && event.target.closest("[data-level]")) {
      updateSection(section);
      updateProgress();
    }
  });
  form.addEventListener("input", function () { dirty = true; });
  form.addEventListener("submit", function () { submitting = true; });

  // Typing is never lost by leaving the page by accident.
  window.addEventListener("beforeunload", function (event) {
    if (dirty && !submitting) {
      event.preventDefault();
      event.returnValue = "";
    }
  });

  form.querySelectorAll("[data-category]").forEach(updateSection);
  updateProgress();
})();
