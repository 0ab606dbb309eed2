/* Progressive enhancement only: every page works without this file.
   1. "Read aloud" (朗读) with the browser's own speech synthesis, where it exists.
   2. A random request key for plain forms, so a double click is one submission. */
(function () {
  "use strict";
  var synth = window.speechSynthesis;
  var Utterance = window.SpeechSynthesisUtterance;
  var lang = document.documentElement.lang || "zh-CN";

  function voiceFor(language) {
    var voices = synth.getVoices ? synth.getVoices() : [];
    var primary = language.split("-")[0].toLowerCase();
    for (var i = 0; i < voices.length; i++) {
      if ((voices[i].lang || "").toLowerCase().split(/[-_]/)[0] === primary) {
        return voices[i];
      }
    }
    return voices.length ? null : undefined; /* null: none fits; undefined: unknown */
  }

  function sentences(text) {
    /* Short utterances: some engines stop reading long ones part-way. */
    var parts = text.replace(/\s+/g, " ").match(/[^。！？；.!?;]+[。！？；.!?;]*/g) || [];
    return parts.filter(function (p) { return p.trim().length > 0; });
  }

  function setUp(button) {
    var target = document.getElementById(button.getAttribute("data-read"));
    if (!target) { return; }
    var label = button.textContent;
    var reading = false;
    function stop() {
      synth.cancel();
      reading = false;
      button.textContent = label;
      button.setAttribute("aria-pressed", "false");
    }
    button.addEventListener("click", function () {
      if (reading) { stop(); return; }
      var voice = voiceFor(lang);
      if (voice === null) {
        button.insertAdjacentText("afterend", " " + button.getAttribute("data-novoice"));
        button.disabled = true;
        return;
      }
      var queue = sentences(target.innerText || target.textContent || "");
      if (!queue.length) { return; }
      synth.cancel();
      reading = true;
      button.textContent = button.getAttribute("data-stop");
      button.setAttribute("aria-pressed", "true");
      queue.forEach(function (text, i) {
        var u = new Utterance(text);
        u.lang = lang;
        if (voice) { u.voice = voice; }
        u.rate = 0.9;
        if (i === queue.length - 1) { u.onend = stop; }
        u.onerror = stop;
        synth.speak(u);
      });
    });
    window.addEventListener("pagehide", function () { if (reading) { stop(); } });
    button.hidden = false;
  }

  if (synth && Utterance) {
    var buttons = document.querySelectorAll("button[data-read]");
    for (var b = 0; b < buttons.length; b++) { setUp(buttons[b]); }
  }

  function randomKey() {
    if (window.crypto && window.crypto.randomUUID) { return window.crypto.randomUUID(); }
    if (window.crypto && window.crypto.getRandomValues) {
      var bytes = new Uint8Array(16);
      window.crypto.getRandomValues(bytes);
      return Array.prototype.map.call(bytes, function (x) {
        return ("0" + x.toString(16)).slice(-2);
      }).join("");
    }
    return "";
  }
  var nonces = document.querySelectorAll("form input[name=_nonce]");
  for (var n = 0; n < nonces.length; n++) {
    if (!nonces[n].value) { nonces[n].value = randomKey(); }
  }
})();
