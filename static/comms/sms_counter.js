/* SMS length and parts, the same rules as comms/sms/segments.py (DOMAIN.md §7, R-COM-1).
 *
 *   IMS.smsCount("Hei") -> {encoding: "GSM-7", parts: 1, chars: 3}
 *
 * GSM-7 (the GSM 03.38 basic set, with æ ø å Æ Ø Å): 160 characters in one SMS, 153 per
 * part; the extension characters € [ ] { } \ ^ ~ | (and form feed) take two. Anything
 * else switches to UCS-2: 70 in one SMS, 67 per part; emoji take two. A two-unit character
 * is never split between parts. MAX_CHARS is the longest text the outbox accepts.
 *
 * Optional wiring: <textarea data-sms-counter="#counter-id"> updates the element's
 * data-encoding/data-parts/data-chars attributes and its text on every input.
 */
(function (root) {
  "use strict";
  var BASIC =
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ" +
    " !\"#¤%&'()*+,-./0123456789:;<=>?" +
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§" +
    "¿abcdefghijklmnopqrstuvwxyzäöñüà";
  var EXTENSION = "\f^{}\\[~]|€";
  var LIMITS = { "GSM-7": [160, 153], "UCS-2": [70, 67] };
  var MAX_CHARS = 800;

  function isGsm7(chars) {
    for (var i = 0; i < chars.length; i++) {
      if (BASIC.indexOf(chars[i]) < 0 && EXTENSION.indexOf(chars[i]) < 0) return false;
    }
    return true;
  }

  function smsCount(text) {
    var chars = Array.from(text || ""); // code points: an emoji is one entry
    var encoding = isGsm7(chars) ? "GSM-7" : "UCS-2";
    var units = chars.map(function (c) {
      if (encoding === "GSM-7") return EXTENSION.indexOf(c) >= 0 ? 2 : 1;
      return c.codePointAt(0) > 0xffff ? 2 : 1;
    });
    var total = units.reduce(function (a, b) { return a + b; }, 0);
    var single = LIMITS[encoding][0], perPart = LIMITS[encoding][1];
    if (total === 0) return { encoding: encoding, parts: 0, chars: 0 };
    if (total <= single) return { encoding: encoding, parts: 1, chars: total };
    var parts = 1, room = perPart;
    units.forEach(function (width) {
      if (width > room) { parts += 1; room = perPart; }
      room -= width;
    });
    return { encoding: encoding, parts: parts, chars: total };
  }

  function wire(doc) {
    var fields = doc.querySelectorAll("[data-sms-counter]");
    Array.prototype.forEach.call(fields, function (field) {
      var target = doc.querySelector(field.getAttribute("data-sms-counter"));
      if (!target) return;
      var update = function () {
        var c = smsCount(field.value);
        target.setAttribute("data-encoding", c.encoding);
        target.setAttribute("data-parts", String(c.parts));
        target.setAttribute("data-chars", String(c.chars));
        target.classList.toggle("too-long", c.chars > MAX_CHARS);
        target.textContent = c.chars + " / " + MAX_CHARS + " · " + c.parts + " SMS · " + c.encoding;
      };
      field.addEventListener("input", update);
      update();
    });
  }

  var api = { smsCount: smsCount, MAX_CHARS: MAX_CHARS, wire: wire };
  root.IMS = Object.assign(root.IMS || {}, api);
  if (typeof module !== "undefined" && module.exports) module.exports = api;
  if (typeof document !== "undefined") {
    if (document.readyState === "loading") {
      document.addEventListener("DOMContentLoaded", function () { wire(document); });
    } else {
      wire(document);
    }
  }
})(typeof window !== "undefined" ? window : globalThis);
