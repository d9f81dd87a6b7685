// Keyboard shortcuts of the review desk: a key clicks the button that declares it
// (data-shortcut), unless the user is typing in a field. Keys are matched by their place on
// the keyboard (event.code), so that L, K and S work the same on an Arabic layout.
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
    var code = event.code || "";
    if (!/^Key[A-Z]$/.test(code)) {
      return;
    }
    var button = document.querySelector('button[data-shortcut="' + code + '"]:not([disabled])');
    if (button) {
      event.preventDefault();
      button.click();
    }
  });
})();
