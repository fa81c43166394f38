(function () {
  "use strict";

  // Copy the code: the Clipboard API where the page is a secure context, else a selection.
  var copy = document.getElementById("copy");
  if (copy) {
    var label = copy.querySelector(".label");
    var idle = label.textContent;
    var timer = null;
    var show = function (text) {
      label.textContent = text;
      clearTimeout(timer);
      timer = setTimeout(function () { label.textContent = idle; }, 2000);
    };
    var fallback = function (text) {
      var area = document.createElement("textarea");
      area.value = text;
      area.setAttribute("readonly", "");
      area.className = "offscreen";
      document.body.appendChild(area);
      area.select();
      var ok = false;
      try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
      document.body.removeChild(area);
      show(copy.getAttribute(ok ? "data-copied" : "data-failed"));
    };
    copy.hidden = false;
    copy.addEventListener("click", function () {
      var text = copy.getAttribute("data-code");
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(
          function () { show(copy.getAttribute("data-copied")); },
          function () { fallback(text); }
        );
      } else {
        fallback(text);
      }
    });
  }

  // Check a typed code as it is typed, with the offline validator (api/static/addresscode.js).
  var input = document.getElementById("code-input");
  var live = document.getElementById("code-live");
  if (input && live) {
    input.addEventListener("input", function () {
      var validator = window.AddressCode;
      var text = input.value.trim();
      live.className = "live";
      if (!validator || !text) { live.textContent = ""; return; }
      var result = validator.parse(text);
      if (result.ok) {
        live.className = "live ok";
        live.textContent = live.getAttribute("data-ok") + " " + result.display;
      } else if (result.reason === "check") {
        live.className = "live bad";
        live.textContent = live.getAttribute("data-check");
      } else {
        live.textContent = live.getAttribute("data-format") || result.message;
      }
    });
  }
})();
