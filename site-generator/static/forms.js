// Progressive enhancement for the public forms; every form works without it.
// 1. A nonce per page view, so a form sent twice (double tap, resend) is one request.
// 2. The proof of work (ALTCHA scheme): fetch a challenge, find the number whose
//    SHA-256 with the salt matches, and send the solution with the form. A form sent
//    before it is solved still goes through; the server then applies stricter limits.
(function () {
  'use strict';
  if (!window.crypto || !window.crypto.subtle || !window.fetch || !window.TextEncoder) {
    return;
  }
  var forms = document.querySelectorAll('form[data-protect]');
  if (!forms.length) {
    return;
  }
  var encoder = new TextEncoder();
  function hex(buffer) {
    var bytes = new Uint8Array(buffer);
    var out = '';
    for (var i = 0; i < bytes.length; i++) {
      out += ('0' + bytes[i].toString(16)).slice(-2);
    }
    return out;
  }
  function solve(c) {
    var started = Date.now();
    var next = 0;
    return new Promise(function (resolve, reject) {
      function batch() {
        var end = Math.min(next + 500, c.maxnumber + 1);
        var digests = [];
        for (var n = next; n < end; n++) {
          digests.push(window.crypto.subtle.digest('SHA-256', encoder.encode(c.salt + n)));
        }
        Promise.all(digests).then(function (hashes) {
          for (var k = 0; k < hashes.length; k++) {
            if (hex(hashes[k]) === c.challenge) {
              resolve({ algorithm: c.algorithm, challenge: c.challenge, number: next + k,
                        salt: c.salt, signature: c.signature, took: Date.now() - started });
              return;
            }
          }
          next = end;
          if (next > c.maxnumber) {
            reject(new Error('unsolved'));
          } else {
            setTimeout(batch, 0);
          }
        }, reject);
      }
      batch();
    });
  }
  Array.prototype.forEach.call(forms, function (form) {
    var nonce = form.querySelector('input[name="_nonce"]');
    if (nonce && !nonce.value && window.crypto.randomUUID) {
      nonce.value = window.crypto.randomUUID();
    }
    var field = form.querySelector('input[name="_altcha"]');
    if (!field) {
      return;
    }
    fetch('/api/challenge', { credentials: 'omit' })
      .then(function (response) { return response.json(); })
      .then(solve)
      .then(function (payload) { field.value = window.btoa(JSON.stringify(payload)); })
      .catch(function () { /* No proof of work: the form still works. */ });
  });
})();
