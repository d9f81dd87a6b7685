// Keyboard shortcuts of the review desk: a key clicks the button that declares it
// (data-shortcut), unless the user is typing in a field.
(function () {
  "use strict";
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || event.repeat) {
      return;
    }
    var target = event.target;
    if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) {
      return;
    }
    var key = (event.key || "").toLowerCase();
    var button = document.querySelector('button[data-shortcut="' + key + '"]:not([disabled])');
    if (button) {
      event.preventDefault();
      button.click();
    }
  });
})();
