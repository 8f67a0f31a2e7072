/* The composer page (R-COM-1): shows the fields of the chosen channel, counts the SMS
 * text while it is typed (IMS.smsCount from sms_counter.js, the same rules as
 * comms/sms/segments.py) and estimates the SMS of the whole send: parts × recipients.
 *
 * <form data-composer data-sms-recipients="N" data-sms-recipients-newsletter="M">
 *   [data-only="email"|"sms"]   shown only for that channel
 *   #sms-counter[data-format]    "{chars} … {max} … {parts} … {encoding}"
 *   #sms-estimate[data-format]   "{total} … {n}"
 *   #sms-ucs2                    shown when the text needs UCS-2
 *
 * <form data-once>: a second submit (a double click) is ignored in the browser; the
 * server's form token is what really keeps a message from being sent twice.
 */
(function () {
  "use strict";

  function fill(format, values) {
    return (format || "").replace(/\{(\w+)\}/g, function (match, name) {
      return Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : match;
    });
  }

  function checked(form, name, fallback) {
    var input = form.querySelector("input[name=" + name + "]:checked");
    return input ? input.value : fallback;
  }

  function setup(form) {
    var text = form.querySelector("textarea[name=text]");
    var counter = form.querySelector("#sms-counter");
    var estimate = form.querySelector("#sms-estimate");
    var ucs2 = form.querySelector("#sms-ucs2");
    if (!text || !counter || !window.IMS || !window.IMS.smsCount) return;

    function update() {
      var channel = checked(form, "channel", "email");
      form.setAttribute("data-channel", channel);
      Array.prototype.forEach.call(form.querySelectorAll("[data-only]"), function (el) {
        el.hidden = el.getAttribute("data-only") !== channel;
      });
      var c = window.IMS.smsCount(text.value);
      counter.setAttribute("data-encoding", c.encoding);
      counter.setAttribute("data-parts", String(c.parts));
      counter.setAttribute("data-chars", String(c.chars));
      counter.classList.toggle("too-long", c.chars > window.IMS.MAX_CHARS);
      counter.textContent = fill(counter.getAttribute("data-format"), {
        chars: c.chars, max: window.IMS.MAX_CHARS, parts: c.parts, encoding: c.encoding,
      });
      if (ucs2) ucs2.hidden = !(c.chars && c.encoding === "UCS-2");
      if (estimate) {
        var newsletter = checked(form, "kind", "") === "newsletter";
        var n = Number(form.getAttribute(
          newsletter ? "data-sms-recipients-newsletter" : "data-sms-recipients") || 0);
        estimate.setAttribute("data-total", String(c.parts * n));
        estimate.textContent = fill(estimate.getAttribute("data-format"), {
          total: c.parts * n, parts: c.parts, n: n,
        });
      }
    }

    form.addEventListener("input", update);
    form.addEventListener("change", update);
    update();
  }

  function once(form) {
    form.addEventListener("submit", function (event) {
      if (form.getAttribute("data-submitted")) {
        event.preventDefault();
        return;
      }
      form.setAttribute("data-submitted", "1");
    });
  }

  function init() {
    Array.prototype.forEach.call(document.querySelectorAll("form[data-composer]"), setup);
    Array.prototype.forEach.call(document.querySelectorAll("form[data-once]"), once);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
