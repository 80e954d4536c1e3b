// The console's keyboard: c confirm, r reject, n note, j/k next/previous, ? the list of keys,
// Escape to leave a field.
// Everything here is also reachable without it: these are shortcuts for buttons and links.
(function () {
  "use strict";

  function typing(target) {
    return target instanceof HTMLElement &&
      (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
  }

  function openKeys() {
    var dialog = document.getElementById("keys");
    if (dialog && !dialog.open) dialog.showModal();
  }

  function follow(rel) {
    var link = document.querySelector('a[rel="' + rel + '"]');
    if (link) window.location.assign(link.href);
  }

  // In the queue, j and k move between rows; Enter opens the row in focus.
  function moveInQueue(step) {
    var links = Array.prototype.slice.call(document.querySelectorAll(".queue .match-link"));
    if (!links.length) return false;
    var at = links.indexOf(document.activeElement);
    var next = at < 0 ? 0 : Math.min(Math.max(at + step, 0), links.length - 1);
    links[next].focus();
    return true;
  }

  function press(key) {
    var button = document.querySelector('button[data-key="' + key + '"]');
    if (button) button.click();
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (typing(event.target)) {
      // Escape leaves a field, so that the keys work again without the mouse.
      if (event.key === "Escape") event.target.blur();
      return;
    }
    var dialog = document.getElementById("keys");
    if (dialog && dialog.open) return;
    switch (event.key) {
      case "c": press("c"); break;
      case "r": press("r"); break;
      case "n": {
        var note = document.getElementById("note");
        if (!note) return;
        note.focus();
        break;
      }
      case "j": if (!moveInQueue(1)) follow("next"); break;
      case "k": if (!moveInQueue(-1)) follow("prev"); break;
      case "?": openKeys(); break;
      default: return;
    }
    event.preventDefault();
  });

  document.addEventListener("click", function (event) {
    var opener = event.target instanceof Element && event.target.closest("[data-opens]");
    if (opener) openKeys();
  });
})();
