/* Choosers over many rows: a text box becomes an ARIA 1.2 combobox with a list popup, filled from a
   small JSON search (data-source, answering {"results": [{id, name, country}], "more": bool}).
   Keys: Down/Up move through the suggestions (Down opens them), Enter chooses, Escape closes (and,
   when closed, clears), Tab leaves. The chosen row's id goes in the hidden field; typing clears it,
   so the text alone filters, as it does without JavaScript. */
(function () {
  "use strict";

  var DELAY_MS = 150;

  function setUp(root) {
    var input = root.querySelector("[data-combobox-input]");
    var value = root.querySelector("[data-combobox-value]");
    var list = root.querySelector("[data-combobox-list]");
    var status = root.querySelector("[data-combobox-status]");
    var source = root.getAttribute("data-source");
    var options = [];
    var active = -1;
    var timer = null;
    var asked = 0;

    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", list.id);

    function say(text) {
      status.textContent = text;
    }

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function highlight(index) {
      options.forEach(function (option, i) {
        option.setAttribute("aria-selected", i === index ? "true" : "false");
      });
      active = index;
      if (index < 0) {
        input.removeAttribute("aria-activedescendant");
        return;
      }
      input.setAttribute("aria-activedescendant", options[index].id);
      options[index].scrollIntoView({ block: "nearest" });
    }

    function choose(option) {
      input.value = option.getAttribute("data-name");
      value.value = option.getAttribute("data-id");
      close();
      say(input.value + " chosen.");
    }

    function show(rows, more) {
      list.textContent = "";
      options = rows.map(function (row, i) {
        var option = document.createElement("li");
        option.id = list.id + "-" + i;
        option.setAttribute("role", "option");
        option.setAttribute("aria-selected", "false");
        option.setAttribute("data-id", String(row.id));
        option.setAttribute("data-name", row.name);
        option.textContent = row.country ? row.name + " (" + row.country + ")" : row.name;
        list.appendChild(option);
        return option;
      });
      active = -1;
      if (!options.length) {
        close();
        say("No partner matches. Apply the filters to search by the text typed.");
        return;
      }
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
      say(options.length + (more ? " or more suggestions: type more to narrow them." : " suggestions.") +
        " Use the up and down arrows to review, Enter to choose.");
    }

    function search(then) {
      var ticket = ++asked;
      var url = source + "?q=" + encodeURIComponent(input.value.trim());
      fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (response) {
          if (!response.ok) {
            throw new Error(String(response.status));
          }
          return response.json();
        })
        .then(function (body) {
          if (ticket !== asked) {
            return; // a later search superseded this one
          }
          show(body.results, body.more);
          if (then) {
            then();
          }
        })
        .catch(function () {
          if (ticket === asked) {
            close();
            say("Suggestions are unavailable. Apply the filters to search by the text typed.");
          }
        });
    }

    input.addEventListener("input", function () {
      value.value = ""; // the typed text, not a stale choice, filters from now on
      window.clearTimeout(timer);
      timer = window.setTimeout(function () { search(null); }, DELAY_MS);
    });

    input.addEventListener("keydown", function (event) {
      var open = !list.hidden;
      if (event.key === "ArrowDown") {
        event.preventDefault();
        if (!open) {
          search(event.altKey ? null : function () { if (options.length) { highlight(0); } });
        } else if (options.length) {
          highlight(active + 1 >= options.length ? 0 : active + 1);
        }
      } else if (event.key === "ArrowUp") {
        if (open && options.length) {
          event.preventDefault();
          highlight(active <= 0 ? options.length - 1 : active - 1);
        }
      } else if (event.key === "Enter") {
        if (open && active >= 0) {
          event.preventDefault(); // choosing, not submitting the form
          choose(options[active]);
        }
      } else if (event.key === "Escape") {
        if (open) {
          event.preventDefault();
          close();
        } else if (input.value) {
          event.preventDefault();
          input.value = "";
          value.value = "";
          say("Cleared.");
        }
      } else if (event.key === "Tab") {
        close();
      }
    });

    // A pointer press on a suggestion must not blur the box before the click chooses it.
    list.addEventListener("mousedown", function (event) {
      event.preventDefault();
    });
    list.addEventListener("click", function (event) {
      var option = event.target.closest("[role='option']");
      if (option) {
        choose(option);
        input.focus();
      }
    });
    input.addEventListener("blur", close);
  }

  Array.prototype.forEach.call(document.querySelectorAll("[data-combobox]"), setUp);
})();
