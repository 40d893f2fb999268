// The header's menu on a phone (an admin's many pages, base.html) is the browser's own disclosure: it opened with a
// tap or Enter, but stayed open over the page whatever came next. It closes, as a menu does, on Escape (the keyboard
// goes back to the menu's button), when the keyboard moves on past its last link, and on a tap or a click elsewhere.
(function () {
  var menus = document.querySelectorAll("header details.menu");
  if (!menus.length) { return; }
  function closeAll(except) {
    for (var i = 0; i < menus.length; i++) {
      if (menus[i] !== except) { menus[i].open = false; }
    }
  }
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") { return; }
    for (var i = 0; i < menus.length; i++) {
      var menu = menus[i];
      if (!menu.open) { continue; }
      var wasInside = menu.contains(document.activeElement);
      menu.open = false;
      if (wasInside) { menu.querySelector("summary").focus(); }
    }
  });
  // Focus gone to something outside the menu (Tab past its last link). A focus lost to nothing (a tap on the menu's
  // own background) is left to the click below.
  document.addEventListener("focusin", function (event) {
    for (var i = 0; i < menus.length; i++) {
      if (menus[i].open && !menus[i].contains(event.target)) { menus[i].open = false; }
    }
  });
  document.addEventListener("click", function (event) {
    var inside = event.target instanceof Element ? event.target.closest("header details.menu") : null;
    closeAll(inside);
  });
})();
