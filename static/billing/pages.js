/* The billing pages: a form marked data-once is sent once — a second click while the
 * first request is on its way is ignored, and the button is disabled. The server
 * guards as well (the run's token, the invoice's state): this only spares a useless
 * second request.
 *
 * <form data-kind-toggle>: the price rule form shows the fields of the chosen kind
 * ([data-kind="age_band"|"family"]).
 */
(function () {
  "use strict";

  function once(form) {
    form.addEventListener("submit", function (event) {
      if (form.getAttribute("data-submitted")) {
        event.preventDefault();
        return;
      }
      form.setAttribute("data-submitted", "1");
      var buttons = form.querySelectorAll("button[type=submit], button:not([type])");
      // after the browser has taken the form's data (a disabled button sends nothing)
      window.setTimeout(function () {
        Array.prototype.forEach.call(buttons, function (b) {
          b.disabled = true;
          b.classList.add("is-busy");
        });
      }, 0);
    });
  }

  function kindToggle(form) {
    function update() {
      var checked = form.querySelector("input[name=kind]:checked");
      var kind = checked ? checked.value : "";
      Array.prototype.forEach.call(form.querySelectorAll("[data-kind]"), function (el) {
        el.hidden = kind !== "" && el.getAttribute("data-kind") !== kind;
      });
    }
    form.addEventListener("change", update);
    update();
  }

  function init() {
    Array.prototype.forEach.call(document.querySelectorAll("form[data-once]"), once);
    Array.prototype.forEach.call(document.querySelectorAll("form[data-kind-toggle]"), kindToggle);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
