/* The canned-reply picker: filter the list as one types. Without this file the search
   box is a GET form that the server answers with the filtered list. */
(function () {
  "use strict";
  document.querySelectorAll("[data-canned-filter]").forEach(function (input) {
    var list = document.getElementById(input.getAttribute("data-canned-filter"));
    if (!list) { return; }
    var items = Array.prototype.slice.call(list.querySelectorAll("li[data-canned-title]"));
    var empty = list.parentNode.querySelector(".xt-canned-empty");
    input.addEventListener("input", function () {
      var words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
      var shown = 0;
      items.forEach(function (item) {
        var title = item.getAttribute("data-canned-title");
        var match = words.every(function (word) { return title.indexOf(word) !== -1; });
        item.hidden = !match;
        if (match) { shown += 1; }
      });
      if (empty) { empty.hidden = shown !== 0 || items.length === 0; }
    });
  });
}());
