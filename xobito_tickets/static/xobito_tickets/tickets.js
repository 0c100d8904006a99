/* Character counters for fields with data-counter-for; counts as the server does
   (surrounding whitespace stripped, a line break is one character). */
(function () {
  "use strict";
  function count(text) {
    return Array.from(text.replace(/\r\n?/g, "\n").trim()).length;
  }
  document.querySelectorAll("[data-counter-for]").forEach(function (counter) {
    var field = document.getElementById(counter.getAttribute("data-counter-for"));
    var max = parseInt(counter.getAttribute("data-max"), 10);
    if (!field) { return; }
    function update() {
      var n = count(field.value);
      counter.textContent = n + " / " + max;
      counter.classList.toggle("xt-over", n > max);
    }
    field.addEventListener("input", update);
    update();
  });
})();
