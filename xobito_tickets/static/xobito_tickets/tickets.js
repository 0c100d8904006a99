/* Progressive enhancements of the helpdesk pages; every page works without them.
   Loaded as a file (the Content-Security-Policy allows no inline script). */
(function () {
  "use strict";

  /* Character counters for fields with data-counter-for. Counts as the server does:
     surrounding whitespace stripped, a line break (CRLF or LF) is one character,
     characters are code points. */
  function count(text) {
    return Array.from(text.replace(/\r\n?/g, "\n").trim()).length;
  }

  function describe(n, max) {
    if (n > max) {
      var over = n - max;
      return over + (over === 1 ? " character" : " characters") + " too many";
    }
    var left = max - n;
    return left + (left === 1 ? " character" : " characters") + " left";
  }

  document.querySelectorAll("[data-counter-for]").forEach(function (counter) {
    var id = counter.getAttribute("data-counter-for");
    var field = document.getElementById(id);
    var status = document.querySelector('[data-counter-status-for="' + id + '"]');
    var max = parseInt(counter.getAttribute("data-max"), 10);
    var timer = null;
    if (!field || !max) { return; }
    // The counter replaces maxlength: a pasted text that is too long stays whole, the
    // count shows how much to cut, and the server refuses it with the field's error.
    field.removeAttribute("maxlength");
    function update() {
      var n = count(field.value);
      counter.textContent = n + " / " + max;
      counter.classList.toggle("xt-over", n > max);
      counter.classList.toggle("xt-near", n <= max && n >= max * 0.9);
      if (status) {
        // Screen readers hear the count once typing pauses, not on every key.
        clearTimeout(timer);
        timer = setTimeout(function () { status.textContent = describe(n, max); }, 1000);
      }
    }
    field.addEventListener("input", update);
    update();
    if (status) { clearTimeout(timer); }
  });

  /* Forms with data-confirm ask before they are sent (closing cannot be undone by a customer). */
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm"))) {
        event.preventDefault();
        event.stopImmediatePropagation();
      }
    });
  });

  /* Forms with data-once are sent once: a double click does not open two tickets. */
  document.querySelectorAll("form[data-once]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (form.getAttribute("data-sending")) {
        event.preventDefault();
        return;
      }
      form.setAttribute("data-sending", "1");
      form.querySelectorAll("button[type=submit]").forEach(function (button) {
        button.setAttribute("aria-disabled", "true");
        button.classList.add("xt-busy");
      });
    });
  });

  // Back to a page from the browser's cache: its forms can be sent again.
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) { return; }
    document.querySelectorAll("form[data-sending]").forEach(function (form) {
      form.removeAttribute("data-sending");
      form.querySelectorAll(".xt-busy").forEach(function (button) {
        button.removeAttribute("aria-disabled");
        button.classList.remove("xt-busy");
      });
    });
  });

  /* File inputs check size and count as files are chosen, so an oversized file is named on
     the page, with what was typed still there, instead of a 413 page after the upload. */
  document.querySelectorAll("input[type=file][data-max-size]").forEach(function (input) {
    var maxSize = parseInt(input.getAttribute("data-max-size"), 10);
    var maxFiles = parseInt(input.getAttribute("data-max-files"), 10);
    var message = document.querySelector('[data-files-error-for="' + input.id + '"]');
    function problems() {
      var found = [];
      var files = Array.from(input.files || []);
      if (maxFiles && files.length > maxFiles) {
        found.push("You can attach at most " + maxFiles + " files at once (you chose " + files.length + ").");
      }
      files.forEach(function (file) {
        if (maxSize && file.size > maxSize) {
          found.push(file.name + " is larger than " + Math.floor(maxSize / 1048576) + " MB.");
        }
      });
      return found;
    }
    function show() {
      var found = problems();
      if (message) {
        message.textContent = found.join(" ");
        message.hidden = found.length === 0;
      }
      input.setAttribute("aria-invalid", found.length ? "true" : "false");
      return found.length === 0;
    }
    input.addEventListener("change", show);
    if (input.form) {
      input.form.addEventListener("submit", function (event) {
        if (!show()) {
          event.preventDefault();
          event.stopImmediatePropagation();
          input.focus();
        }
      }, true);
    }
  });

  /* The queue's "select all" box ticks every ticket checkbox of its form (bulk actions). */
  document.querySelectorAll("[data-select-all]").forEach(function (box) {
    var form = box.form;
    if (!form) { return; }
    var boxes = form.querySelectorAll('input[type=checkbox][name="tickets"]');
    box.hidden = false;
    box.addEventListener("change", function () {
      boxes.forEach(function (each) { each.checked = box.checked; });
    });
  });

  /* The bulk bar shows only the fields of the chosen action. */
  document.querySelectorAll("[data-bulk-action]").forEach(function (select) {
    var form = select.form;
    function sync() {
      form.querySelectorAll("[data-bulk-for]").forEach(function (group) {
        var wanted = group.getAttribute("data-bulk-for").split(" ");
        group.hidden = wanted.indexOf(select.value) === -1;
      });
    }
    select.addEventListener("change", sync);
    sync();
  });

  /* A form that came back with errors: bring its summary into view. */
  var summary = document.querySelector(".xt-error-summary");
  if (summary) {
    summary.setAttribute("tabindex", "-1");
    summary.focus({ preventScroll: true });
    summary.scrollIntoView({ block: "center" });
  }
})();
