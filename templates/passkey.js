// Runs the WebAuthn ceremony of a passkey form: the page embeds the
// options the server made (data-passkey-create or data-passkey-get, JSON
// of the publicKey member); on submit this asks the browser for the
// passkey, puts the answer (JSON) in the form's "credential" input and
// submits the form, which the server verifies against its stored
// challenge. Served from the provider's origin so that the Content
// Security Policy needs no inline script and no connect-src. Without
// this script the forms stay hidden and the pages work without passkeys.
(function () {
  "use strict";
  if (!window.PublicKeyCredential || !navigator.credentials) {
    return;
  }
  function fromB64(s) {
    s = s.replace(/-/g, "+").replace(/_/g, "/");
    var bin = atob(s), out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) { out[i] = bin.charCodeAt(i); }
    return out.buffer;
  }
  function toB64(buf) {
    var bytes = new Uint8Array(buf), bin = "";
    for (var i = 0; i < bytes.length; i++) { bin += String.fromCharCode(bytes[i]); }
    return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function ids(list) {
    return (list || []).map(function (c) { return Object.assign({}, c, { id: fromB64(c.id) }); });
  }
  function creationOptions(o) {
    if (PublicKeyCredential.parseCreationOptionsFromJSON) {
      return PublicKeyCredential.parseCreationOptionsFromJSON(o);
    }
    return Object.assign({}, o, { challenge: fromB64(o.challenge),
      user: Object.assign({}, o.user, { id: fromB64(o.user.id) }), excludeCredentials: ids(o.excludeCredentials) });
  }
  function requestOptions(o) {
    if (PublicKeyCredential.parseRequestOptionsFromJSON) {
      return PublicKeyCredential.parseRequestOptionsFromJSON(o);
    }
    return Object.assign({}, o, { challenge: fromB64(o.challenge), allowCredentials: ids(o.allowCredentials) });
  }
  function toJSON(cred) {
    if (typeof cred.toJSON === "function") {
      return cred.toJSON();
    }
    var r = cred.response, out = { id: cred.id, rawId: toB64(cred.rawId), type: cred.type,
      authenticatorAttachment: cred.authenticatorAttachment, clientExtensionResults: cred.getClientExtensionResults(),
      response: { clientDataJSON: toB64(r.clientDataJSON) } };
    if (r.attestationObject) {
      out.response.attestationObject = toB64(r.attestationObject);
      out.response.transports = r.getTransports ? r.getTransports() : [];
    } else {
      out.response.authenticatorData = toB64(r.authenticatorData);
      out.response.signature = toB64(r.signature);
      out.response.userHandle = r.userHandle ? toB64(r.userHandle) : null;
    }
    return out;
  }
  document.querySelectorAll("[data-passkey-nojs]").forEach(function (el) { el.hidden = true; });
  document.querySelectorAll("form[data-passkey-create], form[data-passkey-get]").forEach(function (form) {
    var create = form.hasAttribute("data-passkey-create");
    var options = JSON.parse(form.getAttribute(create ? "data-passkey-create" : "data-passkey-get"));
    var status = form.querySelector("[data-passkey-status]");
    form.hidden = false;
    form.addEventListener("submit", function (ev) {
      if (form.elements.credential.value) {
        return;
      }
      ev.preventDefault();
      var ask = create ? navigator.credentials.create({ publicKey: creationOptions(options) })
        : navigator.credentials.get({ publicKey: requestOptions(options) });
      ask.then(function (cred) {
        form.elements.credential.value = JSON.stringify(toJSON(cred));
        form.submit();
      }, function () {
        if (status) {
          status.textContent = "No passkey was used. Try again.";
        }
      });
    });
  });
})();
